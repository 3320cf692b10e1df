"""Did you mean…? DOMAIN.md §6: text one edit away from a known keyword of
4+ characters gets a question, answered with `Y`. Nothing is placed on a
guess: a paid order reached this way still asks its own confirmation.
"""

from __future__ import annotations

from collections.abc import Mapping


def one_edit_away(typed: str, known: str) -> bool:
    """One insertion, deletion, substitution, or swap of two neighbours.

    The swap counts as one edit (optimal string alignment), because the typos
    seen in the wild are swaps: `XCYE` for `CXYE`, `IWJSZ` for `IWJZS`.
    """
    if typed == known or abs(len(typed) - len(known)) > 1:
        return False
    if len(typed) == len(known):
        diffs = [i for i, (a, b) in enumerate(zip(typed, known, strict=True)) if a != b]
        if len(diffs) == 1:
            return True
        return (
            len(diffs) == 2
            and diffs[1] == diffs[0] + 1
            and typed[diffs[0]] == known[diffs[1]]
            and typed[diffs[1]] == known[diffs[0]]
        )
    shorter, longer = sorted((typed, known), key=len)
    return any(longer[:i] + longer[i + 1 :] == shorter for i in range(len(longer)))


def suggest(typed: str, aliases: Mapping[str, str], minimum: int = 4) -> str | None:
    """The one known keyword (as the alias typed nearest) within one edit.

    Only Latin keywords of `minimum`+ characters are candidates: digits are
    menu choices, and short words are too close to each other to guess. When
    two different commands are one edit away, nothing is guessed.
    """
    candidates = {
        alias: canonical
        for alias, canonical in aliases.items()
        if len(alias) >= minimum
        and alias.isascii()
        and alias.isalpha()
        and one_edit_away(typed, alias)
    }
    if len(set(candidates.values())) != 1:
        return None
    return min(candidates, key=lambda alias: (alias != candidates[alias], alias))
