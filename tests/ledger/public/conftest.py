"""What the tests of the public figures share."""

# The open data, then every public page that shows the figures.
OPEN_DATA_PATHS = (
    "/transparency.json",
    "/transparency/monthly.csv",
    "/transparency/data-dictionary.csv",
    "/transparency/checkpoints.json",
)
PUBLIC_PATHS = ("/", "/transparency/", *OPEN_DATA_PATHS)
