"""Only what pyproject.toml cannot say: which packages, and one renamed.

The repository keeps the pytest plugin in the top-level ``fixtures/`` folder
(the house layout), but it is installed as the package ``hil_pytest``: a
top-level ``fixtures`` package in site-packages would overwrite, and on
uninstall delete, PyPI's ``fixtures`` (testtools, OpenStack). pyproject.toml
cannot both find the ``hil`` packages and map one folder to another name.
"""

from setuptools import find_namespace_packages, setup

setup(
    packages=[*find_namespace_packages(include=["hil", "hil.*"]), "hil_pytest"],
    package_dir={"hil_pytest": "fixtures"},
)
