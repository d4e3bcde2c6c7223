"""Identity documents: the encrypted vault, the intake pipeline (type, size, metadata, malware
checks), previews and the upload size cap."""
