"""The catalog's vocabulary: encoders, domains, statuses and roles (no pydantic: the CLI's choices load fast)."""

from __future__ import annotations

from typing import Literal, get_args

Encoder = Literal["vit_t", "vit_b", "vit_l", "vit_h"]
Domain = Literal["natural", "light_microscopy", "electron_microscopy", "medical_imaging", "histopathology"]
Status = Literal["current", "legacy", "specialist"]
Role = Literal["default", "quality", "fast"]

ENCODERS: tuple[str, ...] = get_args(Encoder)
DOMAINS: tuple[str, ...] = get_args(Domain)

#: UI category (the micro-sam model selector's label) of each domain.
CATEGORIES: dict[str, str] = {
    "natural": "Natural Images (SAM)",
    "light_microscopy": "Light Microscopy",
    "electron_microscopy": "Electron Microscopy",
    "medical_imaging": "Medical Imaging",
    "histopathology": "Histopathology",
}
