from bench.table import Row, render, row


def test_rows_render_as_one_aligned_table_with_ok_or_missed_when_printed():
    rows = [row("warm POST /requests, median", "0.210 ms", "<= 0.25 ms", True),
            row("sweep items read per open clock", "1.200", "<= 1.05", 1.2 <= 1.05)]
    lines = render(rows)
    assert lines[0].split("|")[1:5] == [" figure                          ", " measured ", " target     ", " ok     "]
    assert "| ok     |" in lines[2] and "| MISSED |" in lines[3]
    assert len({len(line) for line in lines}) == 1
    assert str(rows[1]) == "  [MISSED] sweep items read per open clock: 1.200 (target <= 1.05)"
    assert isinstance(rows[0], Row) and rows[0].ok is True
