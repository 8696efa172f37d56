"""Reads hive-partitioned DNS datasets (date=…[/server=…]/*.parquet) with DuckDB or
Spark, engines pcaptool does not contain, and prints one JSON line per directory:
row and message counts, matched rows, rows by (query type, rcode), the partitions, and
a digest of every row (all columns, partition columns included, values normalised so
that both engines give the same digest for the same rows).
Usage: dataset_summary.py duckdb|spark DIR..."""
import datetime
import hashlib
import json
import sys


def normal(value):
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=datetime.timezone.utc)
        delta = value - datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
        return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds
    if isinstance(value, datetime.date):
        return value.isoformat()
    if hasattr(value, "asDict"):
        value = value.asDict(recursive=True)
    if isinstance(value, dict):
        return {k: normal(v) for k, v in sorted(value.items())}
    if isinstance(value, (list, tuple)):
        return [normal(v) for v in value]
    return value


def summary(names, rows):
    rows = [dict(zip(names, (normal(v) for v in row))) for row in rows]
    lines = sorted(json.dumps(r, sort_keys=True) for r in rows)
    by_type_rcode = {}
    for r in rows:
        key = f"{r['dns_qtype']}/{r['dns_rcode']}"
        by_type_rcode[key] = by_type_rcode.get(key, 0) + 1
    return {
        "rows": len(rows),
        "messages": sum((r["dns_req_len"] is not None) + (r["dns_res_len"] is not None) for r in rows),
        "matched": sum(bool(r["matched"]) for r in rows),
        "by_type_rcode": by_type_rcode,
        "partitions": sorted({json.dumps([r.get("date"), r.get("server")]) for r in rows}),
        "digest": hashlib.sha256("\n".join(lines).encode()).hexdigest(),
    }


def with_duckdb(dirs):
    import duckdb

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    for d in dirs:
        rel = con.sql(
            "SELECT * FROM read_parquet(?, hive_partitioning = true)",
            params=[f"{d}/**/*.parquet"],
        )
        print(json.dumps(summary(rel.columns, rel.fetchall())))


def with_spark(dirs):
    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.master("local[2]")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    for d in dirs:
        # As the README's Spark SQL example reads a dataset.
        spark.sql(f"CREATE OR REPLACE TEMPORARY VIEW dns USING parquet OPTIONS (path '{d}')")
        df = spark.sql("SELECT * FROM dns")
        print(json.dumps(summary(df.columns, [tuple(r) for r in df.collect()])))
    spark.stop()


if __name__ == "__main__":
    engine, dirs = sys.argv[1], sys.argv[2:]
    {"duckdb": with_duckdb, "spark": with_spark}[engine](dirs)
