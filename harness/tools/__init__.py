"""Commands run from make or the shell (``python -m harness …``), never imported by another
module of the harness: the notebook runner, drift, the install check (which runs and reports
even where ``stripe`` is not installed) and the import graph's figures."""
