"""Keyword normalisation and parsing, DOMAIN.md §7 (aliases from §6).

Phones type what they like: full-width letters and digits from Chinese input
methods, the ideographic space, `＋` or `，` between keyword and argument, no
separator at all (`iwjzs2`). Everything here turns such text into one
`Command`, in the order §7 prescribes: NFKC, trim, upper-case, fold
separators, look up aliases.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from app.domain.text import fold

#: Separators §7 accepts between keyword and argument, after NFKC (which
#: already turns `＋ ， ； ：` and U+3000 into their ASCII forms; `、` stays).
SEPARATORS = "+,、;:#*"
_SEPARATOR_RUN = re.compile(r"[\s" + re.escape(SEPARATORS) + r"]+")
# A keyword is a run of Latin letters, a run of digits, or a run of CJK text.
_HEAD = re.compile(r"[A-Z]+|[0-9]+|[^\x00-\x7F\s" + re.escape(SEPARATORS) + r"]+")

#: Built-in keywords and their aliases (DOMAIN.md §6). Campaign keywords
#: (IWJZS, TY, YC, GABX, WLYH, SRMF) come from the catalog through
#: `Vocabulary.with_keywords`.
BUILTIN_ALIASES: Mapping[str, str] = {
    "CXYE": "CXYE", "YE": "CXYE", "YECX": "CXYE", "余额": "CXYE", "话费": "CXYE",
    "CXTC": "CXTC", "套餐": "CXTC",
    "CXVIP": "CXVIP",
    "0000": "0000", "00000": "0000",
    "QX": "QX",
    "T": "T", "TD": "T", "R": "T", "退订": "T", "STOP": "T",
    "START": "START",
    "HELP": "HELP", "?": "HELP", "帮助": "HELP", "BZ": "HELP",
    "CD": "CD", "菜单": "CD",
    "Y": "Y", "YES": "Y", "是": "Y",
}  # fmt: skip

#: Keywords that may run straight into their argument (`QXIWJZS`, `TDTYCL`):
#: the cancel commands here, every campaign keyword through the catalog.
BUILTIN_PREFIXES: Mapping[str, str] = {"QX": "QX", "TD": "T"}


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """The keywords the service knows: alias → canonical keyword, and which
    of them may be typed with no separator before a code argument."""

    aliases: Mapping[str, str] = field(default_factory=lambda: dict(BUILTIN_ALIASES))
    prefixes: Mapping[str, str] = field(default_factory=lambda: dict(BUILTIN_PREFIXES))

    def with_keywords(self, keywords: Iterable[str]) -> Vocabulary:
        aliases, prefixes = dict(self.aliases), dict(self.prefixes)
        for keyword in keywords:
            canonical = normalise(keyword)
            aliases.setdefault(canonical, canonical)
            prefixes.setdefault(canonical, canonical)
        return Vocabulary(aliases, prefixes)


DEFAULT_VOCABULARY = Vocabulary()


@dataclass(frozen=True, slots=True)
class Command:
    """A parsed inbound text.

    `keyword` is canonical when known, else the raw head (so "did you mean"
    can look at it); `known` tells which. `args` are the words after it, with
    every accepted separator folded away.
    """

    keyword: str
    args: tuple[str, ...]
    known: bool
    text: str

    @property
    def argument(self) -> str | None:
        return self.args[0] if self.args else None


def normalise(text: str) -> str:
    """NFKC, trim, upper-case (DOMAIN.md §7 steps 1–3)."""
    return fold(text).strip().upper()


def split_args(text: str) -> tuple[str, ...]:
    """Fold every separator and space run (§7 step 4) and return the words."""
    return tuple(word for word in _SEPARATOR_RUN.split(text) if word)


def parse(text: str, vocabulary: Vocabulary = DEFAULT_VOCABULARY) -> Command:
    """Turn what the subscriber typed into a `Command` (DOMAIN.md §7).

    An empty message is the `CD` menu command (§6). A whole message that is a
    known alias wins over splitting it (`余额`, `？`); otherwise the
    keyword is the leading run of letters, digits or CJK characters, so
    `IWJZS2` and `IWJZS 2` are the same command.
    """
    clean = normalise(text)
    folded = " ".join(split_args(clean))
    if not folded:
        return Command("CD", (), True, clean)
    aliases = vocabulary.aliases
    if folded in aliases:
        return Command(aliases[folded], (), True, clean)
    head_match = _HEAD.match(folded)
    if head_match is None:  # starts with a separator-like symbol only
        return Command(folded, (), False, clean)
    head = head_match.group(0)
    args = split_args(folded[head_match.end() :])
    if head in aliases:
        return Command(aliases[head], args, True, clean)
    for prefix in sorted(vocabulary.prefixes, key=len, reverse=True):
        if head.startswith(prefix) and len(head) > len(prefix):
            return Command(vocabulary.prefixes[prefix], (head[len(prefix) :], *args), True, clean)
    return Command(head, args, False, clean)
