# gunicorn settings of the Flask extension example (gunicorn -c examples/flask/gunicorn.conf.py).
import os

chdir = os.path.dirname(os.path.abspath(__file__))   # extension:app is found here
bind = ["127.0.0.1:8000"]
workers = 2                  # two pre-fork workers
preload_app = True           # the app, and its Signer, are made once, before the fork; a bad
                             # pylon_idv configuration stops gunicorn at start-up
control_socket_disable = True
