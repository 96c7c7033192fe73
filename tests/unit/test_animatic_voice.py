"""Syllables for the hummed placeholder voice, and choosing espeak-ng."""

from __future__ import annotations

from previz.backends.animatic.voice import find_espeak, syllables


def test_syllables_are_vowel_groups_per_word() -> None:
    assert syllables("You're late.") == 2
    assert syllables("I said ten o'clock") == 5


def test_a_word_without_vowels_still_counts_once() -> None:
    assert syllables("Hmm, shh") == 2


def test_espeak_can_be_switched_off() -> None:
    assert find_espeak(False) is None


def test_an_explicit_espeak_path_is_kept() -> None:
    assert find_espeak("/opt/espeak-ng") == "/opt/espeak-ng"
