"""Data: a file becomes checked dates and numbers. ``tables`` reads CSV/Parquet into columns,
``cells`` turns cells into dates and numbers, ``grid`` checks and regularises the date grid
(frequency, gaps, fills), ``dataset`` assembles the ``Dataset`` value train and predict read,
``panel`` holds its series as the aligned arrays that fitting and scoring pass around, and
``output`` writes CSV files atomically. May import core only (never model, scoring, runs).
"""
