"""Open an FCP7 XML or an EDL with OpenShot's own importers, headless, and print what it made.

Runs under the system Python (``/usr/bin/python3``, where ``python3-openshot`` and
``openshot-qt`` live), never under the project's venv:

    QT_QPA_PLATFORM=offscreen HOME=<tmp> /usr/bin/python3 tests/openshot_import.py \
        xml|edl FILE FPS_NUM FPS_DEN WIDTH HEIGHT MEDIA_DIR

It stands in for the few parts of OpenShot's main window the importers touch, answers the
file dialog with FILE, tells OpenShot's missing-file finder about MEDIA_DIR (as a user who once
pointed it at the folder would), and prints the imported clips and tracks as JSON on stdout.
A missing-file prompt becomes an error instead of a dialog nobody can answer.
"""

import json
import os
import sys

OPENSHOT_QT = "/usr/lib/python3/dist-packages/openshot_qt"


class _Signal:
    def emit(self, *args):
        pass


class _Player:
    def Position(self):
        return 1


class _Window:
    """The attributes of OpenShot's main window that the importers use."""

    def __init__(self):
        self.refreshFrameSignal = _Signal()
        self.propertyTableView = type("PropertyTable", (), {"select_frame": lambda s, f: None})()
        self.preview_thread = type("Preview", (), {"player": _Player()})()


def main(argv):
    kind, path, fps_num, fps_den, width, height, media_dir = argv[1:8]
    sys.path.insert(0, OPENSHOT_QT)
    from classes.app import OpenShotApp

    app = OpenShotApp([sys.argv[0]], mode="unittest")
    # The importers divide frame counts by the project's rate, so it must be set first.
    app.project._data["fps"] = {"num": int(fps_num), "den": int(fps_den)}
    app.project._data["width"] = int(width)
    app.project._data["height"] = int(height)
    app.window = _Window()

    from windows.views import find_file

    find_file.known_paths.append(media_dir)

    def no_prompt(*args, **kwargs):
        raise RuntimeError(f"OpenShot could not find a media file: {args!r}")

    find_file.QMessageBox.warning = no_prompt

    if kind == "xml":
        from classes.importers import final_cut_pro as importer

        importer.QFileDialog.getOpenFileName = lambda *a, **k: (path, "")
        importer.import_xml()
    else:
        from classes.importers import edl as importer

        importer.QFileDialog.getOpenFileName = lambda *a, **k: (path, "")
        importer.import_edl()

    files = {f["id"]: f.get("path") for f in app.project._data["files"]}
    clips = [
        {
            "title": c.get("title"),
            "layer": c.get("layer"),
            "position": c.get("position"),
            "start": c.get("start"),
            "end": c.get("end"),
            "path": files.get(c.get("file_id")),
        }
        for c in app.project._data["clips"]
    ]
    layers = [
        {"number": t["number"], "label": t.get("label"), "lock": t.get("lock")}
        for t in app.project._data["layers"]
    ]
    print(json.dumps({"clips": clips, "layers": layers}))
    return 0


if __name__ == "__main__":
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    sys.exit(main(sys.argv))
