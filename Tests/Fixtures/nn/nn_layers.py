def cases(enc):
    return []
