"""The signature rule: a signed document whose signature does not verify is held for a person.

Detection unwraps a CAdES-signed file (`agents.readers.cades`) and says, in a reason carried with the
document, whether the signature verifies. One that does not means the content may have been changed after
it was signed (or the envelope uses an algorithm we do not check): the fields are still read, so a person
can look at them, but they are never approved without one. A sound signature is not a reason to trust a
document more (no certificate chain is checked), so it changes nothing here.
"""

from __future__ import annotations

from collections.abc import Iterable

from agents.rules.catalog import Finding
from schemas import Reason

_NOT_VERIFIED = "signature_not_verified"


def check(upstream: Iterable[Reason]) -> list[Finding]:
    """`signature_not_verified` when detection reported a signature that fails.

    Args:
        upstream: The detection and extraction reasons the document carries.
    """
    return [Finding(_NOT_VERIFIED)] if any(r.code == _NOT_VERIFIED for r in upstream) else []
