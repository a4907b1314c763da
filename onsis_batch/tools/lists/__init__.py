"""The registrar's operational lists (D870-D876): what a registrar checks before and after
a submission, each list's rule declared in `rules.yaml`.

    rules.py         the lists, their rules and columns, read from rules.yaml
    students.py      failing marks, last-year students with no diploma, enrolments ended
                     without an exit code: from the school data and the PAE of one BSID
    transmission.py  per school, the last batch file, its verdict and its results file,
                     from an output folder
    output.py        CSV that Excel opens as written, a self-contained HTML page, JSON
"""
