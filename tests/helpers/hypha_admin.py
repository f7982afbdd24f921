"""Run inside the hypha environment: create the zoo's collection and mint user tokens (prints JSON).

Usage: python hypha_admin.py SERVER_URL   (JWT_SECRET and HYPHA_ROOT_TOKEN in the environment)

Creates the workspace ``bioimage-io`` and its collection ``bioimage.io`` as the zoo configures it
(anyone reads, a logged-in user creates drafts, animal-name ids), then prints tokens for the tests:
two users (alice, bob), one expired and one signed with another secret.
"""

import asyncio
import datetime
import json
import os
import sys

#: the zoo's vocabulary, less the words of the family's ids (a real zoo never assigns an id twice; this one knows no models)
ADJECTIVES = ["affable", "ambitious", "amiable", "brave", "calm", "charismatic", "placid", "witty", "zealous", "jolly"]
ANIMALS = ["otter", "hedgehog", "lizard", "pig", "wombat", "rhino", "kangaroo", "panda", "lynx", "heron"]


def mint(user: str, expires_in: int, secret: str | None = None) -> str:
    from hypha.core import UserInfo
    from hypha.core.auth import _generate_presigned_token, create_scope

    if secret is not None:
        import hypha.core.auth as auth

        auth.JWT_SECRET, saved = secret, auth.JWT_SECRET
    try:
        info = UserInfo(id=user, email=f"{user}@example.org", roles=[], is_anonymous=False,
                        scope=create_scope(workspaces={f"ws-user-{user}": "a"}, current_workspace=f"ws-user-{user}"))
        return _generate_presigned_token(info, expires_in)
    finally:
        if secret is not None:
            auth.JWT_SECRET = saved


async def main(url: str) -> None:
    from hypha_rpc import connect_to_server

    server = await connect_to_server({"server_url": url, "token": os.environ["HYPHA_ROOT_TOKEN"]})
    await server.create_workspace({"id": "bioimage-io", "name": "bioimage-io", "description": "the zoo", "owners": ["root"],
                                   "persistent": True}, overwrite=True)
    am = await server.get_service("public/artifact-manager")
    await am.create(alias="bioimage.io", workspace="bioimage-io", type="collection",
                    manifest={"name": "BioImage.IO", "description": "the zoo (local test server)"},
                    config={"permissions": {"*": "r", "@": "r+"},
                            "id_parts": {"animal_adjective": ADJECTIVES, "animal": ANIMALS}})
    await server.disconnect()
    expired = mint("alice", 1)
    tokens = {"alice": mint("alice", 3600), "bob": mint("bob", 3600), "expired": expired,
              "wrong_signature": mint("alice", 3600, secret="x" * 64)}
    print(json.dumps(tokens))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
    _ = datetime
