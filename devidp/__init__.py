"""Development identity providers for trying the Work Portal locally. DEVELOPMENT ONLY.

They sign in anyone who clicks a name. Never run them anywhere but a developer's
machine; the portal refuses to trust them when DJANGO_DEBUG is off.
"""
