"""Building blocks with no product knowledge: envelope and errors, database, SafeHttp,
storage, image and video probing, ids, time, pagination."""
