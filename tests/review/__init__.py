"""Tests of the review page, boards, shot-list sheet and notes."""
