"""One documented error tree: every exception the package raises on purpose is declared in errors.py."""

from __future__ import annotations

import ast
import builtins
import inspect
import re
from pathlib import Path

import sagemaker_reconciler.errors as errors

PACKAGE = Path(errors.__file__).resolve().parent
# The embedded endpoint's ServiceError family is the simulated *service's* errors (AWS error responses),
# and endpoint.faults plants connection faults: neither is raised to a user of the reconciler.
OUTSIDE_THE_TREE = {"endpoint"}
# Internal signals that never reach a user as themselves (errors.py's docstring says where each ends up).
INTERNAL = {
    "local_compile/tar_stream.py: TarFormatError",  # becomes UnsafeArchive naming the member
    "specs/java_patterns.py: UnsupportedPattern",  # the API model grew a pattern: a test fails
    "plugin/errors.py: Failure",  # the gRPC status the plugin answers the engine with
}
EXCEPTION_NAMES = {
    name for name, value in vars(builtins).items() if inspect.isclass(value) and issubclass(value, BaseException)
}


def _exception_classes_declared_in(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), str(path))
    known = EXCEPTION_NAMES | set(errors.__all__)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
            bases = {
                b.id if isinstance(b, ast.Name) else b.attr if isinstance(b, ast.Attribute) else "" for b in node.bases
            }
            if bases & known or any(b.endswith(("Error", "Exception")) for b in bases):
                found.append(f"{path.relative_to(PACKAGE)}: {node.name}")
    return found


def test_no_public_exception_is_declared_outside_errors_py() -> None:
    stray = [
        found
        for path in sorted(PACKAGE.rglob("*.py"))
        if path.name != "errors.py" and path.relative_to(PACKAGE).parts[0] not in OUTSIDE_THE_TREE
        for found in _exception_classes_declared_in(path)
        if found not in INTERNAL
    ]
    assert stray == [], "declare these in errors.py (and draw them in its tree)"


def test_every_error_is_a_reconciler_error_drawn_in_the_tree() -> None:
    classes = [getattr(errors, name) for name in errors.__all__]
    exceptions = [cls for cls in classes if inspect.isclass(cls) and issubclass(cls, BaseException)]
    assert len(exceptions) >= 18
    doc = errors.__doc__ or ""
    for cls in exceptions:
        assert issubclass(cls, errors.ReconcilerError), cls
        drawn = re.search(rf"(── |\n    ){cls.__name__}\s", doc)
        assert drawn, f"{cls.__name__} is missing from the tree in errors.py's docstring"


def test_only_aws_errors_claim_the_service_said_so() -> None:
    """RequiresReplacement used to be an AwsError of a fictitious UpdateCompilationJob operation."""
    assert not issubclass(errors.RequiresReplacement, errors.AwsError)
    error = errors.RequiresReplacement("CompilationJob", "job-a", ["roleArn", "outputConfig"])
    assert str(error) == "CompilationJob job-a: roleArn, outputConfig cannot change in place; it needs a replacement"


def test_moved_classes_are_still_importable_where_they_were() -> None:
    from sagemaker_reconciler.local_compile.archive import UnsafeArchive
    from sagemaker_reconciler.local_compile.frontends import UnsupportedFramework
    from sagemaker_reconciler.local_compile.targets import UnsupportedTarget
    from sagemaker_reconciler.local_compile.tvm_backend import CompileFailed, ToolchainMissing
    from sagemaker_reconciler.local_compile.verify import VerificationFailed

    assert (
        UnsafeArchive,
        UnsupportedFramework,
        UnsupportedTarget,
        CompileFailed,
        ToolchainMissing,
        VerificationFailed,
    ) == (
        errors.UnsafeArchive,
        errors.UnsupportedFramework,
        errors.UnsupportedTarget,
        errors.CompileFailed,
        errors.ToolchainMissing,
        errors.VerificationFailed,
    )
    assert issubclass(errors.UnsupportedTarget, errors.SpecError) and issubclass(
        errors.ToolchainMissing, errors.ConfigError
    )
