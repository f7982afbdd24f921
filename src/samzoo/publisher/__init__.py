"""Publisher: upload a package to the zoo as a draft for review, over hypha's HTTP service API.

Never commits (that is the curators' step). ``publish_package`` uploads (or continues) a draft,
``draft_status`` reads one back; ``zoo_server`` holds where the zoo is and the upload token.
"""

from .draft_status import DraftStatus, draft_status
from .publish import PublishResult, publish_package
from .publish_plan import PublishPlan
from .zoo_server import UploadToken, read_token, server_url

__all__ = ["DraftStatus", "PublishPlan", "PublishResult", "UploadToken", "draft_status", "publish_package", "read_token", "server_url"]
