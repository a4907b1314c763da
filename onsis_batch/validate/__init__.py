"""The validate stage: the XSD generated from the specs, and business-rule checks."""
