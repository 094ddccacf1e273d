"""Judging pages, by subject (see the modules); urls.py names each one."""
