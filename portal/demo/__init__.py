"""Demo data for `flask demo seed` and the synthetic register files of the tests and benchmarks.

- `seed`: the demo regions, one user of each role, a synthetic prelist for every demo village
- `meetings`: Pasar Ipuh's demo meetings, one in each state the portal has
- `cli`: the `flask demo` command group
- `synthetic`: synthetic register export files (pure Python: no app, no database)
"""
