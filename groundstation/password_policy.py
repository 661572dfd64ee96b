"""Which passwords a user may choose: not a common one, not a trivial one, not their own name.

The rule follows NIST SP 800-63B §5.1.1.2 (check new passwords against lists of commonly used
ones, repetitive or sequential characters and context-specific words such as the username; no
composition rules). zxcvbn (Dropbox's estimator, the ``zxcvbn`` package on PyPI) does all of it
from data it ships: about 30,000 leaked passwords, English words, names and surnames, keyboard
walks, repeats, sequences and dates, plus the words we pass as ``user_inputs``. It answers with a
score from 0 to 4; 3 means about 10^8 guesses or more ("safely unguessable: moderate protection
from an offline slow-hash scenario"), the level its authors recommend for most sites.

The rule is checked only when a password is set: existing users keep the one they have.

>>> check_password("correct horse battery", username="li")
>>> try:
...     check_password("aaaaaaaaaa", username="li")
... except InvalidRequest as exc:
...     print(str(exc).partition(". ")[0])
password too easy to guess: Repeats like "aaa" are easy to guess
"""

from __future__ import annotations

from collections.abc import Iterable

from groundstation.errors import InvalidRequest

MIN_LENGTH = 8
MIN_SCORE = 3
#: zxcvbn refuses longer input (its matching is super-linear); the first 72 characters are rated.
_RATED_LENGTH = 72


def check_password(password: str, username: str, others: Iterable[str] = ()) -> None:
    """Refuse (:class:`InvalidRequest`, field ``password``) a password too easy to guess."""
    from zxcvbn import zxcvbn  # loads its word lists: only when a password is set

    if len(password) < MIN_LENGTH:
        raise InvalidRequest(
            f"password must have at least {MIN_LENGTH} characters", field="password"
        )
    if password.strip().casefold() == username.strip().casefold():
        raise InvalidRequest("password must not be the username", field="password")
    words = [username, *(w for w in others if w), "ecopatrol", "longyou", "station"]
    result = zxcvbn(password[:_RATED_LENGTH], user_inputs=words)
    if result["score"] >= MIN_SCORE:
        return
    feedback = result["feedback"]
    why = (feedback["warning"] or "it is made of common words or patterns").rstrip(".")
    hints = " ".join(feedback["suggestions"])
    raise InvalidRequest(
        f"password too easy to guess: {why}." + (f" {hints}" if hints else ""),
        field="password",
        score=result["score"],
        min_score=MIN_SCORE,
    )


#: Letters and digits that cannot be misread for one another (no 0/o, 1/l/i).
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def generate_password(groups: int = 4, size: int = 4) -> str:
    """A random password an admin reads out once: ``groups`` of ``size`` characters joined
    with hyphens (4 x 4 from 31 characters: about 79 bits), well above the policy's score.

    >>> p = generate_password()
    >>> len(p), p.count("-")
    (19, 3)
    >>> check_password(p, username="li")
    """
    import secrets

    return "-".join("".join(secrets.choice(_ALPHABET) for _ in range(size)) for _ in range(groups))
