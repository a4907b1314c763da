"""PLAR and OTHER_CREDIT: credits recorded outside a class here."""
