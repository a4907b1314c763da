"""onsis-batch: the OnSIS secondary-school batch submission from school data and PAE extracts."""

__version__ = "0.1.0"
