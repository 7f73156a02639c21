"""Data: a file becomes checked dates and numbers. ``tables`` reads CSV/Parquet into columns,
``columns`` finds the date, id, value and covariate columns, ``cells`` turns cells into dates and
numbers, ``frequency`` infers the frequency and season, ``grid`` checks and regularises the date
grid (gaps, fills), ``dataset`` assembles the ``Dataset`` value train and predict read, ``panel``
holds its series as the aligned arrays that fitting and scoring pass around, ``dates`` writes
dates (one format rule) and ``output`` writes CSV files atomically. May import core only (never
model, scoring, runs).
"""
