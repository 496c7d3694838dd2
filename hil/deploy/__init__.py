"""deploy: compile-check, hash compare, upload, verify."""

from hil.deploy.compile import compile_check
from hil.deploy.deployer import DeployResult, app_files, deploy_app

__all__ = ["DeployResult", "app_files", "compile_check", "deploy_app"]
