"""The routing table at work: which rule, and so which person, an inquiry belongs to.

Keywords are matched word by word, in any case: the message is split into words (letters and
digits, so "Kontakt: batterier!" is the words ``kontakt`` and ``batterier``), and a keyword
matches when its words occur in the message one after another. A keyword word ending in ``*``
matches every word that begins with it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from battkomp.contact.models import Inquiry, RoutingRule

_WORD = re.compile(r"\w+")
_KEYWORD_WORD = re.compile(r"\w+\*?")
_SEPARATORS = re.compile(r"[,;\n]")


def words(text: str) -> list[str]:
    """The words of a text, case-folded."""
    return [w.casefold() for w in _WORD.findall(text or "")]


def keyword_phrases(keywords: str) -> list[tuple[str, ...]]:
    """The phrases of a rule's keywords field (comma-, semicolon- or line-separated), each as its
    case-folded words; empty entries are dropped."""
    phrases = []
    for part in _SEPARATORS.split(keywords or ""):
        phrase = tuple(w.casefold() for w in _KEYWORD_WORD.findall(part))
        if phrase:
            phrases.append(phrase)
    return phrases


def _word_matches(pattern: str, word: str) -> bool:
    if pattern.endswith("*"):
        return word.startswith(pattern[:-1])
    return word == pattern


def phrase_in(phrase: tuple[str, ...], text_words: list[str]) -> bool:
    n = len(phrase)
    return any(
        all(_word_matches(p, w) for p, w in zip(phrase, text_words[i : i + n], strict=True))
        for i in range(len(text_words) - n + 1)
    )


def has_conditions(rule: RoutingRule) -> bool:
    return bool(rule.topic or rule.segment or rule.region or keyword_phrases(rule.keywords))


def rule_matches(rule: RoutingRule, inquiry: Inquiry, text_words: list[str] | None = None) -> bool:
    """Whether every condition the rule sets holds for the inquiry (a rule without conditions
    matches nothing: only the default rule takes everything, and only as the last resort)."""
    if not has_conditions(rule):
        return False
    if rule.topic and rule.topic != inquiry.topic:
        return False
    if rule.segment and rule.segment != inquiry.segment:
        return False
    if rule.region and rule.region != inquiry.region:
        return False
    phrases = keyword_phrases(rule.keywords)
    if phrases:
        text_words = words(inquiry.message) if text_words is None else text_words
        return any(phrase_in(p, text_words) for p in phrases)
    return True


def _owner_can_take(rule: RoutingRule) -> bool:
    from battkomp.contact.access import is_inquiry_staff

    owner: Any = rule.owner
    return bool(owner is not None and owner.is_active and is_inquiry_staff(owner))


def choose_rule(inquiry: Inquiry, rules: Iterable[RoutingRule] | None = None) -> RoutingRule | None:
    """The rule that routes the inquiry: the first active matching rule by priority whose owner
    can still take inquiries, else the active default rule (if its owner can), else None."""
    if rules is None:
        rules = RoutingRule.objects.filter(active=True).select_related("owner__profile")
    ordered = sorted(
        (r for r in rules if r.active), key=lambda r: (r.is_default, r.priority, r.pk or 0)
    )
    text_words = words(inquiry.message)
    for rule in ordered:
        if rule.is_default:
            continue
        if rule_matches(rule, inquiry, text_words) and _owner_can_take(rule):
            return rule
    for rule in ordered:
        if rule.is_default and _owner_can_take(rule):
            return rule
    return None
