"""English date formats: day before month, no commas, 24-hour times, as on the residents'
pages ("Thursday 3 December 2026 9:00", "31 March 2027", "Thu 3 Dec")."""

DATE_FORMAT = "j F Y"
DATETIME_FORMAT = "j F Y G:i"
TIME_FORMAT = "G:i"
YEAR_MONTH_FORMAT = "F Y"
MONTH_DAY_FORMAT = "j F"
SHORT_DATE_FORMAT = "j M Y"
SHORT_DATETIME_FORMAT = "j M Y G:i"
FIRST_DAY_OF_WEEK = 1  # Monday
