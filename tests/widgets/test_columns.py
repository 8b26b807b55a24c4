from widgets.columns import columns_that_fit

HEADERS = ["Tier", "Key", "Seats", "Commands/day", "Expires"]
ROWS = [("FREE", "CODITECT-FREE-WJHA-63D6-QX8X-4KQ2-Z", "0/1", "10", "never")]
PRIORITIES = [1, 0, 0, 3, 2]


def test_everything_fits_when_wide():
    assert columns_that_fit(HEADERS, ROWS, PRIORITIES, 120) == [0, 1, 2, 3, 4]


def test_least_important_columns_go_first_and_order_is_kept():
    # Tier 6 + Key 37 + Seats 7 + Commands/day 14 + Expires 9 = 73 cells with a gap of 2.
    assert columns_that_fit(HEADERS, ROWS, PRIORITIES, 72) == [0, 1, 2, 4]
    assert columns_that_fit(HEADERS, ROWS, PRIORITIES, 56) == [0, 1, 2]
    assert columns_that_fit(HEADERS, ROWS, PRIORITIES, 45) == [1, 2]


def test_one_column_always_stays():
    assert columns_that_fit(HEADERS, ROWS, PRIORITIES, 3) == [1]


def test_wide_characters_count_as_two_cells():
    assert columns_that_fit(["A", "B"], [("名前名前", "x")], [0, 1], 10) == [0]
