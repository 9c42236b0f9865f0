"""Makes tests/data/images/canon-gps.jpg: a real camera photo (Canon PowerShot G1 X Mark II,
from piexif 1.1.3's test images, MIT licence) with a GPS position written into its EXIF the
way a phone camera does, and Orientation 6 (rotated), so tests can check that intake drops
the position and the camera's serials but keeps the orientation and the pixels.

Run: python3 scripts/make-photo-fixture.py /path/to/piexif-1.1.3  (pip download piexif)
"""
import shutil
import sys

sys.path.insert(0, sys.argv[1])
import piexif  # noqa: E402

src = f"{sys.argv[1]}/tests/images/r_canon.jpg"
dst = "tests/data/images/canon-gps.jpg"
shutil.copy(src, dst)
exif = piexif.load(dst)
exif["0th"][piexif.ImageIFD.Orientation] = 6
exif["Exif"][piexif.ExifIFD.BodySerialNumber] = b"123456789012"
# 48.137154 N, 11.576124 E (Munich), 519 m, as rationals.
exif["GPS"] = {
    piexif.GPSIFD.GPSVersionID: (2, 3, 0, 0),
    piexif.GPSIFD.GPSLatitudeRef: b"N",
    piexif.GPSIFD.GPSLatitude: ((48, 1), (8, 1), (137354, 10000)),
    piexif.GPSIFD.GPSLongitudeRef: b"E",
    piexif.GPSIFD.GPSLongitude: ((11, 1), (34, 1), (340646, 10000)),
    piexif.GPSIFD.GPSAltitude: (519, 1),
}
piexif.insert(piexif.dump(exif), dst)
print(dst, "written")
