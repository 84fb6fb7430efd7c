"""English formats for Kazakhstan's services: the day before the month, the month as a word in
long dates ("18 Sep 2026") and day.month.year in short ones, the 24-hour clock. Django's own
English formats are American (month first: 11/04/2026 would read as 11 April here)."""

DATE_FORMAT = "j M Y"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "j M Y H:i"
YEAR_MONTH_FORMAT = "F Y"
MONTH_DAY_FORMAT = "j F"
SHORT_DATE_FORMAT = "d.m.Y"
SHORT_DATETIME_FORMAT = "d.m.Y H:i"
FIRST_DAY_OF_WEEK = 1  # Monday

DATE_INPUT_FORMATS = [
    "%d.%m.%Y",  # '25.10.2026'
    "%d/%m/%Y",  # '25/10/2026'
    "%d %b %Y",  # '25 Oct 2026'
    "%d %B %Y",  # '25 October 2026'
]
DATETIME_INPUT_FORMATS = [
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y %H:%M",
    "%d/%m/%Y %H:%M",
]
DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
