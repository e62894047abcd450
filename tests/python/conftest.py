import os
import sys

# vectors.py sits beside the tests; make it importable whatever the rootdir is.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
