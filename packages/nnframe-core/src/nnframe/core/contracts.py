"""What a subclass of an nnframe base class must define, checked when it is instantiated.

A base class lists its required members with an example each and calls :func:`check_members`
from its ``__new__``: a subclass that lacks one fails at construction, before any of its code
runs, with its name, the missing members and how to add them, instead of an ``AttributeError``
(or ``'NoneType' has no attribute``) deep inside training. Checked at construction, not at
class definition, so that intermediate abstract classes (``SegmentationDataModule``) are allowed.
No torch import.
"""

from __future__ import annotations

from collections.abc import Mapping

from nnframe.core.errors import NnframeError


class ContractError(NnframeError, TypeError):
    """A subclass of an nnframe base class lacks a member the base class needs."""


def missing_members(cls: type, required: Mapping[str, str]) -> list[str]:
    """The names in ``required`` that ``cls`` does not define: absent, or still the base's
    ``@abstractmethod`` (an abstract property included)."""
    missing = []
    for name in required:
        member = getattr(cls, name, None)
        if member is None or getattr(member, "__isabstractmethod__", False):
            missing.append(name)
    return missing


def check_members(cls: type, base: str, required: Mapping[str, str]) -> None:
    """Raise :class:`ContractError` if ``cls`` lacks any of ``required``.

    Args:
        cls: the class being instantiated.
        base: the public name of the base class that declares ``required``
            (``"nnframe.core.data.VisionDataset"``).
        required: member name -> a one-line example of how to define it.

    Raises:
        ContractError: naming ``cls``, the missing members and an example of each.
    """
    missing = missing_members(cls, required)
    if not missing:
        return
    examples = "\n".join(f"    {required[name]}" for name in missing)
    short = base.rsplit(".", 1)[-1]
    raise ContractError(
        f"{cls.__name__}, a subclass of {base}, does not define {', '.join(missing)}. "
        f"Add {'it' if len(missing) == 1 else 'them'} to class {cls.__name__}, e.g.:\n{examples}\n"
        f"(a {short} subclass defines: {', '.join(required)})"
    )
