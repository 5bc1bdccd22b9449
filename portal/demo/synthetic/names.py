"""The words of a synthetic register: given names, family names, birth towns, streets, dusun.

Indonesian given names (a second name or a Batak marga is added now and then), the towns a
person of Mukomuko is born in, and street names for addresses. `ACCENTED_*` are names outside
ASCII (all in cp1252), so a file's encoding matters.
"""

MALE_FIRST = (
    "Budi", "Agus", "Ahmad", "Muhammad", "Hendra", "Joko", "Wahyu", "Slamet", "Bambang",
    "Rudi", "Dedi", "Eko", "Andi", "Heri", "Iwan", "Yusuf", "Rizki", "Fajar", "Arif", "Irfan",
    "Hasan", "Ismail", "Zulkifli", "Syahrul", "Darmawan", "Sugeng", "Supriyadi", "Herman",
    "Rahmat", "Taufik", "Hadi", "Imam", "Anton", "Dani", "Yudi", "Sutrisno", "Suparman",
    "Marwan", "Firman", "Ilham", "Dimas", "Aditya", "Bayu", "Rafi", "Alif", "Fikri",
)  # fmt: skip
FEMALE_FIRST = (
    "Siti", "Nur", "Dewi", "Rina", "Sri", "Yanti", "Ani", "Wulan", "Fitri", "Indah", "Ratna",
    "Lina", "Sari", "Yuliana", "Nurhayati", "Rahmawati", "Endang", "Kartini", "Suryani",
    "Desi", "Eka", "Maya", "Novi", "Rini", "Tuti", "Wati", "Yulia", "Aisyah", "Fatimah",
    "Khadijah", "Zahra", "Nabila", "Putri", "Anisa", "Citra", "Mega", "Rosmawati", "Hartini",
    "Marlina", "Nurul", "Salsabila", "Dinda", "Ayu", "Lestari", "Mardiana", "Rosnani",
)  # fmt: skip
MALE_SECOND = (
    "Santoso", "Saputra", "Hidayat", "Kurniawan", "Pratama", "Setiawan", "Gunawan",
    "Wijaya", "Nugroho", "Firmansyah", "Ramadhan", "Syahputra", "Hermawan", "Prasetyo",
    "Suryadi", "Effendi", "Hakim", "Rahman", "Akbar", "Maulana",
)  # fmt: skip
FEMALE_SECOND = (
    "Lestari", "Wati", "Susanti", "Putri", "Rahayu", "Handayani", "Sari", "Wahyuni",
    "Purnamasari", "Anggraini", "Permatasari", "Safitri", "Oktaviani", "Ningsih", "Yusnita",
)  # fmt: skip
MARGA = ("Siregar", "Nasution", "Harahap", "Lubis", "Simanjuntak", "Hasibuan", "Tanjung")
ACCENTED_MALE = ("Andrés", "José", "René", "Noël", "Raúl")
ACCENTED_FEMALE = ("Zoë", "Inés", "Chloé", "Noémi", "Mónica")

TOWNS = (
    "Mukomuko", "Mukomuko", "Mukomuko", "Ipuh", "Ipuh", "Bengkulu", "Bengkulu", "Padang",
    "Solok", "Curup", "Painan", "Argamakmur", "Manna", "Pariaman", "Bukittinggi", "Jambi",
    "Sungai Penuh", "Palembang", "Medan", "Jakarta", "Lubuk Pinang", "Penarik", "Lais",
)  # fmt: skip
STREETS = (
    "Merdeka", "Sudirman", "Ahmad Yani", "Diponegoro", "Lintas Barat", "Pahlawan", "Melati",
    "Mawar", "Kenanga", "Veteran", "Pasar", "Pantai", "Masjid", "Sekolah", "Imam Bonjol",
    "Kartini", "Gajah Mada", "Hasanuddin", "Cendrawasih", "Kelapa Sawit",
)  # fmt: skip
DUSUN = ("Dusun I", "Dusun II", "Dusun III", "Dusun IV")
