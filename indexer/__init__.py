"""vnsearch indexer: read the archive, analyse Vietnamese text, build and search the index."""
