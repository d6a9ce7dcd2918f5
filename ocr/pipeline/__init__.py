"""Recognition pipeline: ingest, align, cells, recognise, validate, route."""
