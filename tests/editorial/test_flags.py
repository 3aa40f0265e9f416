"""The flags an editor is shown, and those that stay in the data."""

from zhuanlan.editorial.flags import flag_notes


def test_damage_comes_first_and_routine_flags_are_not_shown():
    notes = flag_notes("pinyin_removed,short,traditional_converted,mojibake")
    assert [n.flag for n in notes] == ["mojibake", "short"]
    assert notes[0].level == "warn" and "乱码" in notes[0].text
    assert flag_notes("") == [] and flag_notes(None) == []
