"""Offline use cases over the domain, the rules and the store (and the providers' read
clients): `replay` (a rules file against stored orders) and `audit` (the manual baseline read
from the providers). Nothing here writes to a provider or to the store."""
