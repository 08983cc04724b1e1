"""The local hub works end to end over HTTP: logins, servers, roles and private course files.

A student and the instructor log in through the hub's form (PAM, or the
fallback authenticator ``course hub setup`` chose), get their own servers,
and see what their role allows: Formgrader is served to the instructor only,
and the student's JupyterLab lists nbgrader's instructor plugins as disabled.
The instructor's course folder, with its answer keys, is not readable by a
student's Linux account.
"""

from __future__ import annotations

import stat

import pytest
from hubclient import HubClientError, login

from course.cli.lab_setup_cmd import INSTRUCTOR_PLUGINS, STUDENT_PLUGINS

pytestmark = [pytest.mark.hub, pytest.mark.slow]


@pytest.fixture(scope="module")
def sessions(hub):
    """Each person logged in, with a running server; the servers stop afterwards."""
    people = {user: login(hub.url, user, hub.passwords[user]) for user in hub.users}
    for session in people.values():
        session.spawn()
    yield people
    for session in people.values():
        session.stop_server()


def test_wrong_password_is_refused(hub):
    """The hub checks passwords: a student with a wrong one is not let in."""
    student = hub.layout.students[0]
    with pytest.raises(HubClientError, match=r"HTTP (403|200)"):
        login(hub.url, student, hub.passwords[student] + "-wrong")


def test_each_server_runs_as_its_user_on_loopback(hub, sessions):
    """Every server is a process of its own Linux user, listening on 127.0.0.1 only."""
    import psutil

    for user in hub.users:
        model = sessions[user].api("GET", f"users/{user}").json()
        server = model["servers"][""]
        assert server["ready"], model
        assert server["url"] == f"/user/{user}/"
        procs = [
            p for p in psutil.process_iter(["username", "cmdline"]) if p.info["username"] == user
        ]
        assert any("jupyterhub-singleuser" in " ".join(p.info["cmdline"] or []) for p in procs)
        for proc in procs:
            for conn in proc.net_connections(kind="inet"):
                if conn.status == psutil.CONN_LISTEN:
                    assert conn.laddr.ip == "127.0.0.1", (user, conn)


def test_student_gets_no_instructor_tools(hub, sessions):
    """A student's server serves no Formgrader or course list; its JupyterLab has them off."""
    student = sessions[hub.layout.students[0]]
    assert student.status("formgrader") in (403, 404)
    assert student.status("formgraders") in (403, 404)
    config = student.lab_page_config()
    disabled = set(config["disabledExtensions"])
    assert set(INSTRUCTOR_PLUGINS) <= disabled, config["disabledExtensions"]
    assert not set(STUDENT_PLUGINS) & disabled
    # The student's own nbgrader settings point at the shared exchange.
    done = hub.run_as(student.user, "nbgrader", "list")
    assert done.returncode == 0, done.stdout + done.stderr


def test_instructor_gets_formgrader(hub, sessions):
    """The instructor's server serves Formgrader, on the instructor's course folder."""
    instructor = sessions[hub.layout.instructor]
    assert instructor.status("formgrader") == 200
    config = instructor.lab_page_config()
    assert not set(INSTRUCTOR_PLUGINS) & set(config["disabledExtensions"])


def test_students_cannot_read_the_course_folder(hub):
    """Answer keys and gradebook stay with the instructor: a student cannot list or read them."""
    course = hub.course_dir
    assert stat.S_IMODE(course.stat().st_mode) == 0o700
    keys = sorted((course / "autograde" / "keys").glob("*.yaml"))
    assert keys, f"no answer keys in {course}"
    for student in hub.layout.students:
        listing = hub.run_as(student, "ls", course)
        assert listing.returncode != 0
        assert "Permission denied" in listing.stderr
        reading = hub.run_as(student, "cat", keys[0])
        assert reading.returncode != 0
        assert "Permission denied" in reading.stderr
    own = hub.run_as(hub.layout.instructor, "cat", keys[0])
    assert own.returncode == 0, own.stderr


def test_exchange_is_shared_as_nbgrader_documents(hub):
    """The exchange folder is world-writable with the sticky bit (mode 1777)."""
    assert stat.S_IMODE(hub.layout.exchange.stat().st_mode) == 0o1777
