"""Pure accounting logic (no I/O): money and VAT maths, working days, documents and exports."""
