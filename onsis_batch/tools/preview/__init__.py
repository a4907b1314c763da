"""The verification preview (D880-D884): the figures OnSIS shows a school after an upload,
worked out from the batch file before it is sent, and their differences from last period.

    figures.yaml  the figures (what each counts or adds up) and what OnSIS holds per segment
    figures.py    compute the figures of a batch file, with the PAE where the file sends changes
    compare.py    differences from a previous batch file or a saved preview (JSON)
    view.py       the preview as text, JSON-ready data and a self-contained HTML page
"""
