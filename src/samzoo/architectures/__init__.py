"""Self-contained architecture files copied into packages; import nothing from samzoo.

BioImage.IO tools import an architecture file alone, from a temporary copy, so
every module here imports only torch and the model libraries it needs. samzoo
imports from these files (``samzoo.plumbing.sam_models`` takes its SAM registry from
``sam_adaptor``), never the reverse.
"""

from pathlib import Path

#: the architecture file of every SAM package, shipped under this same name
SAM_ADAPTOR = Path(__file__).with_name("sam_adaptor.py")
#: the architecture file of every automatic-instance-segmentation (AIS) package
SAM_AIS = Path(__file__).with_name("sam_ais.py")
