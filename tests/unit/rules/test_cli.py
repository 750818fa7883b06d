from pathlib import Path

from typer.testing import CliRunner

from shipflow.cli import app


def test_rules_check_ok(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text("version: 1\nrules:\n  - {name: a, when: 'true', then: {tags: [x]}}\n"
                    "  - {name: b, when: order.has_backorder, then: {backorder: split}}\n")
    result = CliRunner().invoke(app, ["rules", "check", str(path)])
    assert result.exit_code == 0, result.output
    assert result.output == f"{path}: OK (2 rules)\n"


def test_rules_check_lists_every_error_with_its_position(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text("version: 1\n"
                    "rules:\n"
                    "  - name: a\n"
                    "    when: order.totl > 1.0\n"
                    "    then: {confirmation: signatur}\n")
    result = CliRunner().invoke(app, ["rules", "check", str(path)])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(f"{path}:4:17: rule 'a': when: order has no field 'totl'")
    assert lines[1].startswith(f"{path}:5:26: rule 'a': then.confirmation: expected one of none,")


def test_rules_check_on_a_missing_file(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["rules", "check", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 1
    assert result.output.startswith(f"{tmp_path / 'nope.yaml'}: cannot read the rules file")
