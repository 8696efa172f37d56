"""Prints every row of the Parquet files given as one JSON object per line, read by
DuckDB (an engine pcaptool does not contain), with the file's path under "file":
timestamps as microseconds since the epoch, lists as lists.
Usage: parquet_rows.py FILE..."""
import json
import sys

import duckdb

con = duckdb.connect()
con.execute("SET TimeZone = 'UTC'")
for path in sys.argv[1:]:
    rel = con.sql(
        "SELECT * REPLACE (epoch_us(time) AS time) FROM read_parquet(?)",
        params=[path],
    )
    names = rel.columns
    for row in rel.fetchall():
        record = dict(zip(names, row))
        record["file"] = path
        print(json.dumps(record))
