"""Vietnamese normalisation for FAQ matching.

Citizens type on phones: without diacritics, in teencode, with Telex leftovers, typos and
politeness wrappers.  Everything here turns a message into a sequence of :class:`Tok`:

* ``plain``  – the accentless form (``đ`` → ``d``) used for matching, after teencode and
  abbreviation expansion and after folding synonymous multi-word concepts into one token
  (``sổ hồng`` / ``bìa đỏ`` / ``gcn qsdđ`` → ``sodo``);
* ``acc``    – a tone-placement independent key of the accented syllable (``hoà`` and ``hòa``
  both give ``hoa2``), or ``None`` when the user typed no diacritic on that word.

The same function is applied to knowledge-base questions and to queries, so every rule is
symmetric.  The module is pure and thread-safe (only module-level constants and an
``lru_cache``).
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

# --------------------------------------------------------------------------- accents

_TONE_MARKS = {"\u0300": "2", "\u0301": "1", "\u0303": "4", "\u0309": "3", "\u0323": "5"}
_SHAPE_MARKS = {"\u0302", "\u0306", "\u031b"}


def strip_accents(text: str) -> str:
    """Remove every diacritic and map đ → d (input need not be normalised)."""
    decomposed = unicodedata.normalize("NFD", text)
    out = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return out.replace("đ", "d").replace("Đ", "D")


@lru_cache(maxsize=65536)
def accent_key(word: str) -> str | None:
    """Tone-placement independent key for an accented word; ``None`` if it has no diacritic.

    ``hoà``/``hòa`` → ``hoa2``; ``thuý``/``thúy`` → ``thuy1``; ``đăng`` → ``đăng0``.
    """
    decomposed = unicodedata.normalize("NFD", word)
    tone = "0"
    base = []
    marked = "đ" in word
    for ch in decomposed:
        if ch in _TONE_MARKS:
            tone = _TONE_MARKS[ch]
            marked = True
        else:
            if ch in _SHAPE_MARKS:
                marked = True
            base.append(ch)
    if not marked:
        return None
    return unicodedata.normalize("NFC", "".join(base)) + tone


# --------------------------------------------------------------------------- word lists
# All keys below are accentless (plain) forms.

# Pure politeness / pronouns / particles: dropped entirely (also from KB questions).
STOP: frozenset[str] = frozenset(
    """
    a ah ak ad admin ag anh chi em e c minh mk mik mjk mh tui toi tao bac co cau bn
    oi oj da va vang vag u uh uhm um ui uk hi hj hii hello helo xin chao alo
    voi vs nhe nha nhen nhi nhiz ne nek ay ta thi la ma
    cho hoi hoii giup giupp dum zup gium jup
    v z zay camon tambiet ok oke okie
    roi r ru re lam on nho xem mn mng
    """.split()
)
# Ambiguous STOP words: when typed with diacritics, only these accent keys are filler.
STOP_ACC: dict[str, frozenset[str]] = {
    k: frozenset(v.split())
    for k, v in {
        "cho": "cho0", "ma": "ma2", "la": "la2", "thi": "thi2", "co": "co1 cô0", "lam": "lam2",
        "nho": "nhơ2", "chi": "chi5 chi3", "hoi": "hoi3", "da": "da5 đa4", "cau": "câu5", "bac": "bac1",
        "on": "ơn0", "xem": "xem0", "roi": "rôi2", "em": "em0", "ta": "ta0", "toi": "tôi0", "a": "a5 a2 anh0",
        "va": "va2", "anh": "anh0", "nha": "nha0 nha1", "minh": "minh2", "oi": "ơi0", "vang": "vâng0", "ay": "ây1", "ha": "ha3",
    }.items()
}


def is_stop(t: Tok) -> bool:
    if t.plain not in STOP:
        return False
    if t.acc is None:
        return True
    allowed = STOP_ACC.get(t.plain)
    return allowed is None or t.acc in allowed

# Words that are ordinary in questions: used for matching when the knowledge base has them,
# but never counted as "unknown content" when it does not.
FUNCTION: frozenset[str] = frozenset(
    """
    sao the nao nhu gi j bao nhieu lau gio giay to hom nay mai luc khi nao dau o tai
    can phai muon duoc khong ko co chua da se dang bi nen neu thi hay hoac va cua cac nhung
    mot hai ba con nha xa ubnd uy ban nguoi lam di den ve ra vao len xuong lay nop xin
    cap moi lai het roi ma nay do kia ay nua them nhat nhieu it mat ton phi tien bao gom
    thu tuc ho so cach viec van de truong hop tuong hop minh ho gia dinh ban than
    thoi gian ngay thang nam tuan bay chu nhat sang chieu toi biet hieu duoc phep
    online truc tuyen qua mang dau tien sau truoc khac nhau rieng chung tu tinh huyen
    thon xom ap to dan pho ban chu the vay moi nguoi gui cai mang theo dem be chau bo me ong ba vo chong
    trai gai nha than tuoi de dua cu xong bay hom qua tren duoi an song noi nhan tra mua dong
    nhu nao sao vi tai vay can ca tat luon ngay dieu kien ai
    """.split()
)

# Chit-chat vocabulary (plain).  A message made only of these (plus STOP and ways of
# addressing the commune) is small talk, never an FAQ question.
CHIT_GREET = frozenset("chao hi hello helo alo hey xin hj hii chuc mung nam moi tet vui ve suc khoe an khang".split())
CHIT_THANKS = frozenset("camon thank thanks tks thks cmon".split())
CHIT_BYE = frozenset("bye tambiet bb pp".split())
CHIT_ACK = frozenset(
    """
    ok oke okie oki okay okela u uh uhm um uk vang da duoc roi r hieu biet
    hay tot qua tuyet voi gioi thong minh de thuong good great nice haha hihi hehe kaka hic huhu like
    dung vay the a ah ak nhe nha ne nghe nghen nhen hen rat nhieu lam qua that ai khong co ten gi you buoi sang trua chieu toi
    tra loi giup voi nhanh di
    tot lanh ngay
    """.split()
)
CHIT_ADDRESS = frozenset(
    "xa phuong tran ubnd uy ban ad admin bot ban anh chi em co chu bac moi nguoi mn can bo shop page oi".split()
)
CHIT_ALL = CHIT_GREET | CHIT_THANKS | CHIT_BYE | CHIT_ACK | CHIT_ADDRESS | STOP

# --------------------------------------------------------------------------- teencode

# Unconditional token expansions, keyed by the *plain* lowercase token.
TEENCODE: dict[str, str] = {
    # negation
    "k": "không", "ko": "không", "kg": "không", "khg": "không", "kh": "không", "hok": "không",
    "hk": "không", "hem": "không", "hong": "không", "khum": "không", "hum": "không", "kô": "không",
    "khong": "không", "kp": "không phải", "kph": "không phải",
    # question words / particles
    "j": "gì", "ji": "gì", "gj": "gì", "z": "vậy", "zay": "vậy", "dzay": "vậy",
    "ntn": "như thế nào", "ntnao": "như thế nào", "tn": "thế nào",
    "bnhieu": "bao nhiêu", "bnhiu": "bao nhiêu", "baonhieu": "bao nhiêu", "baonhiu": "bao nhiêu",
    "nhiu": "nhiêu", "bh": "bao giờ", "bgio": "bao giờ", "bjo": "bao giờ", "bg": "bao giờ",
    "lquan": "liên quan", "lq": "liên quan",
    # frequent words
    "r": "rồi", "ms": "mới", "lm": "làm", "trc": "trước", "cx": "cũng", "cg": "cũng", "bik": "biết",
    "bit": "biết", "bjk": "biết", "hnay": "hôm nay", "hqua": "hôm qua", "thg": "tháng", "vs": "với",
    "ng": "người", "ngta": "người ta", "nc": "nước", "ns": "nói", "mn": "mọi người", "mng": "mọi người",
    "e": "em", "mk": "mình", "mik": "mình", "mjk": "mình", "mh": "mình", "t": "tôi", "tớ": "tôi",
    "ck": "chồng", "vk": "vợ", "ny": "người yêu", "nyc": "người yêu", "bme": "bố mẹ", "bm": "bố mẹ", "ae": "anh em", "oke": "ok",
    "okie": "ok", "oki": "ok", "okay": "ok", "okela": "ok", "tks": "cảm ơn", "thks": "cảm ơn",
    "thanks": "cảm ơn", "thank": "cảm ơn", "camon": "cảm ơn", "cmon": "cảm ơn",
    "tgian": "thời gian", "tg": "thời gian", "onl": "online", "ol": "online", "dt": "điện thoại",
    "đt": "điện thoại", "tr": "triệu", "trieu": "triệu", "dvi": "đơn vị", "qd": "quyết định",
    "qđ": "quyết định", "tp": "thành phố", "vn": "việt nam", "hc": "hành chính", "ktra": "kiểm tra",
    "dthoai": "điện thoại", "hsinh": "học sinh", "gv": "giáo viên",
    "iu": "yêu", "ok": "ok", "bt": "biết", "lun": "luôn", "wa": "qua", "ntin": "nhắn tin",
    "nt": "nhắn tin", "sđ": "sổ đỏ", "chx": "chưa", "chua": "chưa",
    "nhg": "nhưng", "nhưg": "nhưng", "đag": "đang", "dag": "đang", "dg": "đang", "đc": "được",
    "dc": "được", "duoc": "được", "dcj": "được", "đươc": "được", "dk": "được", "đk": "được",
    # administrative abbreviations
    "sdt": "số điện thoại", "sđt": "số điện thoại", "ubnd": "ủy ban nhân dân", "ubx": "ủy ban xã",
    "ub": "ủy ban", "cccd": "căn cước công dân", "cc": "căn cước", "cmnd": "chứng minh nhân dân",
    "cmt": "chứng minh thư", "cmtnd": "chứng minh nhân dân", "bhyt": "bảo hiểm y tế",
    "bhxh": "bảo hiểm xã hội", "bhtn": "bảo hiểm thất nghiệp", "nvqs": "nghĩa vụ quân sự",
    "ks": "khai sinh", "gks": "giấy khai sinh", "gkt": "giấy khai tử", "tthn": "tình trạng hôn nhân",
    "xntthn": "xác nhận tình trạng hôn nhân", "xn": "xác nhận", "dkkh": "đăng ký kết hôn",
    "đkkh": "đăng ký kết hôn", "dkks": "đăng ký khai sinh", "đkks": "đăng ký khai sinh",
    "dkkt": "đăng ký khai tử", "đkkt": "đăng ký khai tử", "gcn": "giấy chứng nhận",
    "qsdd": "quyền sử dụng đất", "qsdđ": "quyền sử dụng đất", "qsd": "quyền sử dụng",
    "gcnqsdd": "giấy chứng nhận quyền sử dụng đất", "sdd": "sổ đỏ", "sđđ": "sổ đỏ",
    "gplx": "giấy phép lái xe", "gpxd": "giấy phép xây dựng", "gp": "giấy phép", "xd": "xây dựng",
    "tt": "thủ tục", "tthc": "thủ tục hành chính", "hs": "hồ sơ", "hso": "hồ sơ", "gd": "gia đình",
    "gđ": "gia đình", "hgd": "hộ gia đình", "hgđ": "hộ gia đình", "dkkd": "đăng ký kinh doanh",
    "đkkd": "đăng ký kinh doanh", "gpkd": "giấy phép kinh doanh", "hkd": "hộ kinh doanh",
    "kd": "kinh doanh", "mst": "mã số thuế", "dvc": "dịch vụ công", "dvcqg": "dịch vụ công quốc gia",
    "btxh": "bảo trợ xã hội", "tcxh": "trợ cấp xã hội", "nct": "người cao tuổi", "nkt": "người khuyết tật",
    "ncc": "người có công", "lđ": "lao động", "ld": "lao động",
    "hcn": "hộ cận nghèo", "pccc": "phòng cháy chữa cháy", "thpt": "trung học phổ thông",
    "thcs": "trung học cơ sở", "mg": "mẫu giáo", "csgt": "cảnh sát giao thông",
    "cax": "công an xã", "cty": "công ty",
    "dky": "đăng ký", "dki": "đăng ký", "đky": "đăng ký", "đki": "đăng ký", "dangky": "đăng ký",
    "dangki": "đăng ký", "khaisinh": "khai sinh", "kethon": "kết hôn",
    "tamtru": "tạm trú", "thuongtru": "thường trú", "tamvang": "tạm vắng", "khaitu": "khai tử",
    "thutuc": "thủ tục", "hoso": "hồ sơ", "cancuoc": "căn cước", "chungthuc": "chứng thực",
    "congchung": "công chứng", "giayto": "giấy tờ", "hokhau": "hộ khẩu", "sodo": "sổ đỏ",
    "lephi": "lệ phí", "vneid": "vneid", "vne": "vneid", "xhh": "xã hội hóa", "free": "miễn phí",
}

# Regional words (southern and central speech) as citizens type them, keyed by the exact
# lower-case word *with* its diacritics (the accents tell "hông" = không from "hồng", "mô" = đâu
# from "mộ"); the accentless forms that are unambiguous are keyed too.
DIALECT: dict[str, str] = {
    # southern
    "hông": "không", "hổng": "không", "hok": "không", "hơm": "không", "dợ": "vậy", "dậy": "vậy",
    "dzậy": "vậy", "zậy": "vậy", "vầy": "vậy", "sanh": "sinh", "má": "mẹ", "tía": "bố", "ổng": "ông",
    "bả": "bà", "mần": "làm", "dìa": "về", "vô": "vào", "coi": "xem", "lẹ": "nhanh", "hổm": "hôm",
    "nhiêu": "bao nhiêu", "nhìu": "nhiều", "xài": "dùng",
    # central
    "răng": "sao", "rứa": "vậy", "mô": "đâu", "ni": "này", "nớ": "đó", "tê": "kia", "hỉ": "nhỉ",
    "bọ": "bố", "mạ": "mẹ", "eng": "anh", "ả": "chị", "chừ": "giờ", "bây chừ": "bây giờ", "ri": "vậy",
}
_DIALECT_PLAIN_OK = frozenset({"sanh", "coi", "dzay", "rua"})  # accentless forms safe to map
_BA_FATHER_NEXT = frozenset(
    "tui toi em minh anh chi me ma con no cua chong vo ruot nha moi vua da mat chet qua".split()
)
_CHI_WHAT_PREV = frozenset("lam giay to cai thu tuc can phai la de mang dem nop gi".split())
_AGE_T = re.compile(r"^(\d{1,3})t$")

# "đk"/"dk" before these words means "đăng ký", otherwise "được".
_DK_REGISTER_STRONG = frozenset(
    """
    khai ket kh ks kt thuong tam kinh ho xe nvqs nghia giam nhan bien dat tt kkd bhyt bhxh
    cu dkkh dkks ksinh hon doc tinh xac nuoi cai giay thue kiem tiem vneid khaisinh kethon
    tamtru thuongtru tamvang hk tk tai
    """.split()
)
_DK_REGISTER_WEAK = frozenset("cho online onl qua truc o lai lam cap doi tach nhap chuyen the con be chau".split())
_DK_GIVEN_PREV = frozenset("khong ko k co chua da moi se lam thi thuc hien xin dang".split())
_BN_AMOUNT_PREV = frozenset(
    "gia phi tien het mat ton la duoc nhieu tuoi tra nop le dong thu muc tro cap luong ngay thang so".split()
)
_SOHONG_PREV = frozenset("so bia giay".split())
_BH_INSURANCE_PREV = frozenset("the mua dong dau gia so cap phi muc goi".split())  # "thẻ bh": insurance
_HONG_BROKEN_PREV = frozenset("bi hu kenh muong cau den duong ong cong mai tuong may xe".split())
_NHA_PREV = frozenset("xay sua mua ban thue chu can dat lam ngoi cua so".split())
_NHA_NEXT = frozenset("cap o tro van tang tam dat nuoc may".split())

_TELEX_TONE_END = re.compile(r"^([a-z]*[aeiouy][a-z]*?)([sfrxj])$")

# --------------------------------------------------------------------------- concepts
# Synonymous phrases (plain, space separated) folded into one canonical token.  Applied to
# the plain sequence by longest match, identically for the knowledge base and for queries.
CONCEPTS: dict[str, list[str]] = {
    "cancuoc": [
        "can cuoc cong dan", "the can cuoc cong dan", "the can cuoc", "can cuoc", "chung minh nhan dan",
        "chung minh thu", "the chung minh", "the cc", "can cuc", "can cuoc dien tu",
    ],
    "khaisinh": ["khai sinh", "khai sanh", "ksinh"],
    "khaitu": ["khai tu", "bao tu", "giay chung tu", "chung tu", "khai tu cho"],
    "kethon": ["ket hon", "dam cuoi", "lay vo", "lay chong", "cuoi vo", "cuoi chong", "cuoi xin"],
    "connuoi": ["con nuoi", "nhan nuoi", "nuoi con nuoi"],
    "camon": ["cam on", "cam ong", "thank you", "thanks you", "xin cam on"],
    "tambiet": ["tam biet", "hen gap lai", "bye bye"],
    "dangky": ["dang ky", "dang ki", "dang kys"],
    "tthn": ["tinh trang hon nhan", "giay xac nhan doc than", "giay chung nhan doc than", "xac nhan doc than",
             "chung nhan doc than", "giay doc than", "doc than"],
    "thuongtru": ["thuong tru", "nhap ho khau", "nhap khau", "chuyen ho khau", "chuyen khau", "ho khau", "so ho khau"],
    "tamtru": ["tam tru", "o tro", "thue tro"],
    "tamvang": ["tam vang"],
    "nvqs": ["nghia vu quan su", "di nghia vu", "di bo doi", "di linh", "nhap ngu", "tong tuyen quan", "quan su"],
    "bhyt": ["bao hiem y te", "bhyt"],
    "bhxh": ["bao hiem xa hoi", "bhxh"],
    "bhtn": ["bao hiem that nghiep"],
    "nuocngoai": [
        "nuoc ngoai", "ngoai quoc", "han quoc", "trung quoc", "dai loan", "nhat ban", "nguoi my", "nguoi uc",
        "viet kieu", "nguoi tay", "nguoi han", "nguoi nhat", "nguoi trung", "ben lao", "nuoc lao", "campuchia", "thai lan",
        "nguoi trung quoc", "nguoi han quoc", "nguoi dai loan", "nguoi nhat ban", "hoa ky", "nguoi duc",
        "nguoi phap", "nguoi nga", "nguoi lao", "singapore", "malaysia", "canada", "chau au", "nguoi ngoai quoc",
    ],
    "sodo": [
        "giay chung nhan quyen su dung dat", "giay chung nhan qsdd", "so do", "so hong", "bia do",
        "bia hong", "so dat", "giay chung nhan quyen su dung", "gcn quyen su dung dat",
    ],
    "qsdd": ["quyen su dung dat"],
    "chungthuc": ["chung thuc", "cong chung", "sao y ban chinh", "sao y", "thi thuc"],
    "gpxd": ["giay phep xay dung", "xin phep xay dung", "phep xay dung", "xin phep xay"],
    "ubnd": ["uy ban nhan dan", "uy ban xa", "uy ban", "ubnd", "tru so xa", "tru so"],
    "sdt": ["so dien thoai", "hotline", "so dt", "duong day nong"],
    "thutuc": ["thu tuc hanh chinh", "thu tuc"],
    "vneid": ["vneid", "vne id", "dinh danh dien tu", "tai khoan dinh danh", "ung dung vneid", "app vneid"],
    "nguoicaotuoi": ["nguoi cao tuoi", "nguoi gia", "cu gia", "ong ba gia", "nguoi lon tuoi"],
    "khuyettat": ["khuyet tat", "tan tat", "tan phe"],
    "hongheo": ["ho ngheo", "gia dinh ngheo", "nha ngheo"],
    "hocanngheo": ["ho can ngheo", "can ngheo"],
    "nguoicocong": ["nguoi co cong", "co cong voi cach mang"],
    "dkkd": ["dang ky kinh doanh", "giay phep kinh doanh", "giay dang ky kinh doanh"],
    "hokinhdoanh": ["ho kinh doanh", "ho kinh doanh ca the", "ho ca the"],
    "giamho": ["giam ho"],
    "nhanchacon": ["nhan cha me con", "nhan cha con", "nhan me con", "nhan cha"],
    "lephi": ["le phi", "phi", "chi phi", "tien phi", "mat phi", "ton phi", "bao nhieu tien"],
    "thaisan": ["thai san", "nghi de", "che do sinh con"],
    "giolamviec": ["gio lam viec", "lam viec gio", "gio hanh chinh", "mo cua", "may gio", "gio nao"],
    "tiepdan": ["tiep cong dan", "tiep dan", "gap chu tich", "gap truc tiep chu tich", "gap lanh dao"],
    "dichvucong": ["dich vu cong quoc gia", "dich vu cong truc tuyen", "dich vu cong", "cong dich vu cong"],
    "bienban": ["bien ban"],
    "tachthua": ["tach thua", "tach so", "chia dat", "tach dat"],
    "chuyennhuong": ["chuyen nhuong", "sang ten"],
    "trocap": ["tro cap", "phu cap", "tien tro cap", "tro cap xa hoi"],
    "tiemchung": ["tiem chung", "tiem phong", "chich ngua"],
    # general paraphrase groups of everyday administrative wording
    "chet": ["chet", "qua doi", "tu tran", "tu vong", "bi chet", "da chet"],
    "matdien": ["mat dien", "cup dien", "cat dien", "su co dien", "su co luoi dien", "dien chap chon"],
    "treem": ["tre em", "tre nho", "em be", "be so sinh", "tre so sinh", "dua tre"],
    "xaytraiphep": [
        "xay khong phep", "xay dung khong phep", "xay trai phep", "xay dung trai phep", "khong co giay phep xay dung",
        "xay lan chiem", "xay sai phep", "xay dung sai phep", "xay vuot phep", "xay sai giay phep",
        "cong trinh sai phep", "cong trinh khong phep", "cong trinh trai phep",
    ],
}

# --------------------------------------------------------------------------- situations
# Everyday situations and actions -> the administrative concept they lead to.  Citizens
# describe a procedure by what happens in their life ("mở quán trà sữa", "bố em mất", "hàng
# xóm hát karaoke khuya") rather than by its administrative name ("đăng ký hộ kinh doanh",
# "khai tử", "phản ánh tiếng ồn").  Unlike :data:`CONCEPTS` this is an *expansion*: a matched
# phrase keeps its own words and the concept token is added, so a knowledge-base entry phrased
# either way matches.  The administrative names of the concepts that are new here are listed
# too (``tiengon`` <- "tiếng ồn"), so both sides of the match produce the token.  Matching is
# on the plain (accentless, teencode-expanded) syllables before concept folding, longest phrase
# first; one phrase may lead to several concepts.  Applied identically to KB text and queries.
SITUATION_QUERY = "all"  # situations expanded in queries: "all", "new" (concepts absent from CONCEPTS), ""
SITUATION_KB = "new"  # ... and in knowledge-base text (see below)
SITUATIONS: dict[str, list[str]] = {
    # ---- hộ tịch
    "khaisinh": [
        "sinh con", "sinh em be", "sinh be", "sinh chau", "sinh doi", "co em be", "sinh them",
        "sinh con thu", "dat ten cho con", "dat ten con", "dat ten cho be", "sinh o nha", "sinh tai nha", "khai sinh",
        "de con", "sinh chau",
    ],
    "khaitu": [
        "qua doi", "tu tran", "tu vong", "tu the", "bo mat", "me mat", "cha mat", "ong mat", "ba noi mat",
        "ba ngoai mat", "ong noi mat", "ong ngoai mat", "vo mat", "nguoi nha mat", "nguoi than mat",
        "bo em mat", "me em mat", "bo toi mat", "me toi mat", "ong em mat", "ba em mat", "ong toi mat",
        "ba toi mat", "bo minh mat", "me minh mat", "ong minh mat", "ba minh mat", "cu mat", "cu ong mat",
        "cu ba mat", "khai tu", "bao tu",
    ],
    "maitang": [
        "mai tang", "mai tang phi", "tro cap mai tang", "ho tro mai tang", "dam tang", "dam ma", "an tang",
        "hoa tang", "chon cat", "lo hau su", "ma chay", "tien ma chay", "lo tang", "tien chon cat",
    ],
    "kethon": [
        "lay vo", "lay chong", "cuoi vo", "cuoi chong", "cuoi nhau", "lay nhau", "dam cuoi", "dam hoi",
        "to chuc cuoi", "lam dam cuoi", "ve mot nha", "ve chung mot nha", "se duyen", "ket duyen",
        "cuoi xin", "ket hon", "dinh cuoi", "sap cuoi", "muon cuoi", "ngay cuoi", "thanh vo chong",
    ],
    "tthn": ["chua vo", "chua chong", "chua lap gia dinh", "con doc than", "chung minh doc than",
             "xac nhan chua ket hon", "chua ket hon bao gio"],
    "taohon": ["tao hon", "bi ga", "ga con", "ga di", "cuoi som", "lay chong som", "lay vo som",
               "chua du tuoi ket hon", "chua du tuoi lay chong", "chua du tuoi lay vo"],
    "lyhon": ["ly hon", "ly di", "bo nhau", "bo vo", "bo chong", "chia tay vo", "chia tay chong", "don ly hon"],
    "caichinh": [
        "cai chinh", "ghi sai", "viet sai", "sai ten", "sai ho", "sai ngay sinh", "sai nam sinh", "sai que",
        "sai que quan", "sai thong tin", "nham ten", "sua ten", "sua ho ten", "sua ngay sinh", "sua thong tin",
        "doi ten", "doi ho", "thay doi ho tich", "thay doi ho ten", "bo sung ho tich", "bo sung thong tin",
        "xac dinh lai dan toc", "doi dan toc", "lech thong tin", "thong tin khong khop", "khong trung khop",
    ],
    "quahan": ["qua han", "tre han", "muon han", "qua 60 ngay", "khai sinh muon", "dang ky muon", "chua khai sinh",
               "chua lam khai sinh", "chua lam giay khai sinh", "chua co giay khai sinh", "chua di khai sinh",
               "chua dang ky khai sinh"],
    "trichluc": [
        "trich luc", "ban sao khai sinh", "ban sao giay khai sinh", "ban sao ket hon", "ban sao giay ket hon",
        "xin lai giay khai sinh", "xin ban sao",
    ],
    "nhanchacon": [
        "nhan con", "nhan bo", "nhan cha", "nhan me", "con rieng", "con ngoai gia thu", "con chua co bo",
        "khong co ten bo", "khong co ten cha", "bo cua chau",
    ],
    "connuoi": ["nhan con nuoi", "xin con nuoi", "xin con ve nuoi", "nhan nuoi", "con nuoi", "be ve nuoi", "chau ve nuoi",
                "con ve nuoi", "dua tre ve nuoi", "lam con hop phap", "nhan lam con"],
    # ---- cư trú
    "cutru": [
        "cu tru", "thuong tru", "tam tru", "tam vang", "ho khau", "nhap khau", "chuyen khau", "cat khau",
        "chuyen nha", "chuyen den", "chuyen ve", "don nha", "don ve", "don den", "ve o", "ve song", "den o",
        "chuyen ve o", "ve nha chong", "ve nha vo", "ve que song", "o chung", "o ghep", "o nho", "o tam",
        "di thue nha", "dang thue nha", "nha thue", "thue phong", "thue tro", "o tro", "o thue", "nha tro", "phong tro", "chuyen di noi khac",
        "di noi khac", "di lam xa", "di xa", "lam an xa", "ra ngoai o", "nguoi moi den",
        "khach den o", "luu tru", "khai bao luu tru", "o qua dem", "o lai qua dem",
    ],
    "tachho": ["tach ho", "tach khau", "tach so ho khau", "ra o rieng", "o rieng", "ra rieng", "lap ho moi",
               "tach ra o rieng", "cat khau ra"],
    "tamtru": ["di thue nha", "dang thue nha", "nha thue", "thue phong", "thue tro", "o tro", "o thue", "nha tro", "phong tro", "o nho", "o tam",
               "o ghep", "o qua dem", "nguoi moi den", "khach den o", "luu tru"],
    "tamvang": ["di lam xa", "di xa", "lam an xa", "vang mat dai ngay", "di vang", "di nuoc ngoai lam"],
    "thuongtru": ["ve nha chong", "ve nha vo", "ve que song", "chuyen ve o", "nhap vao ho"],
    # ---- căn cước / định danh
    "cancuoc": ["gan chip", "the chip", "lam chip", "the gan chip", "cccd gan chip"],
    "vneid": ["muc 2", "muc hai", "dinh danh", "kich hoat tai khoan", "tai khoan dinh danh"],
    "landau": [
        "lan dau", "cap moi", "chua co can cuoc", "chua lam can cuoc", "chua bao gio lam", "du 14 tuoi", "du 14",
        "du tuoi lam", "tre duoi 14", "duoi 14 tuoi", "chua co the",
    ],
    "capdoi": ["cap doi", "doi the", "het han", "du 25 tuoi", "du 40 tuoi", "du 60 tuoi", "doi sang",
               "the cu", "doi can cuoc", "doi cccd", "doi chung minh"],
    "caplai": [
        "cap lai", "lam lai", "bi mat", "danh mat", "danh roi", "roi mat", "lam mat", "lam roi", "that lac",
        "mat vi", "roi vi", "mat giay", "mat het giay", "mat the", "mat so", "mat can cuoc", "mat chung minh",
        "mat giay to", "bi hong", "bi rach", "rach nat", "bi uot", "mo chu", "nhau nat", "cu nat",
        "bi trom vi", "bi moc tui",
    ],
    # ---- đất đai / xây dựng
    "sodo": ["lam so do", "lam so dat", "lam bia do", "chua co so", "dat chua co so", "dat chua co giay"],
    "chuyennhuong": ["mua ban dat", "ban dat", "mua dat", "mua mieng dat", "ban mieng dat", "mua lo dat",
                     "ban lo dat", "mua manh dat", "ban manh dat"],
    "thuake": [
        "thua ke", "di chuc", "de lai dat", "de lai nha", "bo me de lai", "ong ba de lai", "de lai cho con", "chia tai san",
        "chia dat cho con", "cho con dat", "tang cho", "sang ten cho con",
    ],
    "dodac": ["do dac", "do lai dat", "do lai", "trich do", "sai dien tich", "dien tich sai", "thieu dien tich",
              "du dien tich", "cam lai moc"],
    "thuhoidat": ["thu hoi dat", "boi thuong", "den bu", "tien den bu", "giai phong mat bang", "bi lay dat",
                  "nha nuoc lay dat", "mo duong qua", "lam duong qua dat", "giai toa"],
    "tranhchap": [
        "bi lan", "nguoi ta lan", "lan qua", "lan sang dat",
        "tranh chap", "lan dat", "lan chiem", "lan ranh", "lan sang", "xay lan", "lan mot", "hang xom lan",
        "gianh dat", "cai nhau vi dat", "ranh gioi", "moc gioi", "cam moc",
    ],
    "tachthua": ["tach 1 phan", "tach mot phan", "cat 1 phan dat", "cat mot phan dat", "chia doi dat", "chia dat",
                 "tach dat", "tach thua", "tach so", "chia lam hai", "chia lam 2"],
    "chuyenmucdich": [
        "chuyen muc dich", "chuyen doi muc dich", "len tho cu", "chuyen len tho cu", "len dat o", "chuyen len dat o",
        "chuyen sang dat o", "dat vuon len dat o", "dat ruong len dat o", "dat nong nghiep len dat o",
        "lam nha tren dat ruong", "xay nha tren dat nong nghiep", "xay nha tren dat vuon",
    ],
    "hotronha": [
        "xin tien lam nha", "tien lam nha", "ho tro tien lam nha", "tien xay nha",
        "ho tro nha o", "ho tro xay nha", "ho tro lam nha", "ho tro sua nha", "xoa nha tam", "nha dai doan ket",
        "nha tinh thuong", "nha tinh nghia", "nha sap sap", "nha sap do", "nha dot nat", "nha xuong cap",
        "nha tranh", "nha tam bo", "nha lup xup", "nha dot", "khong co nha o", "nha bi dot", "nha bi sap",
    ],
    "gpxd": [
        "xay nha", "xay moi", "xay lai nha", "xay lai", "lam nha", "dung nha", "cat nha", "noi tang", "xay them tang",
        "co noi nha", "xay tuong rao", "xay them", "xay nha moi",
    ],
    "suanha": [
        "sua nha", "sua chua nha", "cai tao nha", "nang cap nha", "lop lai mai", "thay mai",
        "sua mai", "lat lai nen", "son lai nha",
    ],
    # ---- kinh doanh hộ cá thể
    "hokinhdoanh": [
        "mo quan", "mo tiem", "mo cua hang", "mo shop", "mo sap", "mo hang", "mo tap hoa", "mo quan an",
        "mo quan nuoc", "mo quan ca phe", "mo quan cafe", "mo spa", "mo tiem toc", "mo tiem net", "mo xuong",
        "buon ban", "ban hang", "ban buon", "ban le", "ban tap hoa", "ban tra sua", "ban do an", "ban nuoc", "ban ca phe", "ban cafe", "ban quan ao", "ban rau", "ban thit", "ban banh", "ban com",
        "ban pho", "ban bun", "ban hang online", "ban online", "kinh doanh nho", "kinh doanh ca the",
        "lam an buon ban", "ho kinh doanh", "kinh doanh", "lam dich vu",
    ],
    "attp": ["an toan thuc pham", "ve sinh an toan thuc pham", "ngo doc", "ngo doc thuc pham", "thuc pham ban",
             "hang gia", "hang kem chat luong", "thit ban", "nau an ban", "bep an"],
    "chamdutkd": ["cham dut", "vinh vien", "dep luon", "nghi han", "khong kinh doanh nua", "thoi kinh doanh",
                  "giai the", "khong ban nua", "nghi ban luon", "dong cua luon", "nghi ban roi", "tra lai giay phep",
                  "tra giay phep", "nop lai giay phep"],
    "tamngungkd": ["tam ngung", "tam nghi", "tam dung", "nghi tam", "nghi mot thoi gian", "dong cua mot thoi gian"],
    "ngungkd": [
        "tam ngung kinh doanh", "ngung kinh doanh", "tam dung kinh doanh", "cham dut kinh doanh",
        "cham dut hoat dong", "tam ngung hoat dong", "ngung hoat dong", "giai the", "dong cua tiem",
        "dong cua quan", "dong cua hang", "dong quan", "dong tiem", "dep quan", "dep tiem", "nghi ban",
        "ngung ban", "thoi ban", "khong ban nua", "nghi kinh doanh", "thoi kinh doanh", "khong kinh doanh nua",
        "sang quan", "sang nhuong quan", "tam nghi ban",
    ],
    # ---- an ninh trật tự / trình báo
    "mattrom": [
        "mat trom", "trom", "trom cap", "trom xe", "trom vao", "bi trom", "ke trom", "ke gian", "mat cap",
        "bi lay mat", "lay mat", "mat xe", "mat xe may", "mat tai san", "mat do", "mat dien thoai", "mat vang",
        "mat ga", "mat bo", "mat trau", "mat heo", "mat lon", "mat xe dap", "moc tui", "cuop", "cuop giat", "giat do", "bi giat",
        "dot nhap", "pha khoa", "be khoa", "cay cua", "giat dien thoai", "giat tui", "giat day chuyen",
    ],
    "trinhbao": [
        "trinh bao", "to giac",
        "mat trom", "trom", "bi trom", "bi lua", "lua dao", "lua tien", "bi danh", "danh nhau", "hanh hung",
        "de doa", "doa giet", "khung bo", "doi no", "xiet no", "cuop", "bi cuop", "ma tuy", "nghien hut",
        "tiem chich", "danh bac", "co bac", "gay roi", "tu tap", "dua xe", "quay roi",
    ],
    "mattich": ["mat tich", "di lac", "bo nha di", "khong ve nha", "mat lien lac", "tim nguoi than", "tim nguoi mat tich"],
    "dangkyxe": ["dang ky xe", "bien so", "bien so xe", "cap bien so", "bam bien", "boc bien", "mua xe moi",
                 "mua xe may moi", "sang ten xe", "giay to xe", "cavet xe", "ca vet"],
    "baoluc": ["bao luc gia dinh", "chong danh", "bi chong danh", "danh vo", "danh con", "bo danh"],
    "hoagiai": ["hoa giai", "cai nhau", "xich mich", "mau thuan", "tranh cai", "hang xom cai nhau", "gay gio"],
    "phananh": [
        "phan anh", "khieu nai", "to cao", "kien nghi", "gop y", "buc xuc", "keu ca", "bao cho xa", "bao len xa", "len xa bao",
    ],
    # ---- môi trường / tiếng ồn / rác
    "tiengon": [
        "tieng on", "gay on", "on ao", "o nhiem tieng on", "karaoke", "hat karaoke", "hat hoi", "hat to",
        "mo loa", "loa keo", "loa to", "loa thung", "mo nhac", "nhac to", "bat nhac", "mo nhac to", "hat khuya",
        "keu to", "go bua", "khoan tuong", "may khoan", "on qua", "on lam", "ho het", "la het", "dap pha",
        "nhau nhet", "loa san", "nhau khuya",
    ],
    "rac": [
        "rac", "rac thai", "do rac", "vut rac", "xa rac", "thu gom rac", "xe rac", "bai rac", "tien rac",
        "phi rac", "dong tien rac", "thu rac", "chat thai ran", "ve sinh moi truong", "dot rac",
        "rac cong kenh", "do cu bo di", "nem cu", "tu cu", "sofa cu", "giuong cu", "gach vua", "xa ban",
        "phe thai xay dung",
    ],
    "onhiem": [
        "o nhiem", "o nhiem moi truong", "mui hoi", "boc mui", "hoi thoi", "nuoc thai", "xa thai",
        "dot rac", "khoi bui", "bui ban", "khoi den", "chuong heo", "chuong lon", "chan nuoi gay mui", "xac chet dong vat",
        "cong bi tac", "tac cong", "cong ranh", "muong nuoc",
    ],
    # ---- y tế
    "treem": ["thang tuoi", "con nho", "be nho", "chau nho", "dua nho", "con so sinh"],
    "tiemchung": [
        "tiem chung", "tiem phong", "tiem ngua", "chich ngua", "tiem mui", "mui tiem", "mui gi", "tiem vac xin",
        "vac xin", "vacxin", "vaccine", "lich tiem", "tiem cho be", "tiem cho con", "di tiem", "chich cho be",
        "uong vitamin a", "so tiem",
    ],
    "dichbenh": ["dich benh", "phong chong dich", "sot xuat huyet", "phun thuoc muoi", "phun muoi", "nhieu muoi",
                 "diet muoi", "tay chan mieng", "benh truyen nhiem"],
    "noikcb": ["kham ban dau", "noi kham ban dau", "chuyen tuyen", "doi noi kham", "chuyen noi kham", "doi benh vien",
               "kham trai tuyen", "len tuyen tren", "giay chuyen vien", "chuyen vien"],
    "bhyt": ["the bao hiem", "the kham benh", "the kham chua benh", "kham bao hiem", "kham benh bao hiem",
             "di kham bao hiem", "kham chua benh"],
    "ytexa": ["tram y te", "y te xa", "kham o xa", "kham o tram", "kham tai xa", "phong kham xa"],
    "channuoi": [
        "trau bo", "gia suc", "gia cam", "vat nuoi", "lon ga", "heo ga", "chan nuoi", "thu y", "dich ta",
        "lo mom long mong", "cum gia cam", "benh dai", "cho can", "tiem cho cho", "tiem phong cho cho",
        "tiem cho trau", "tiem cho bo", "tiem cho lon", "tiem cho heo", "tiem cho ga",
    ],
    # ---- giáo dục
    "tuyensinh": [
        "tuyen sinh", "nhap hoc", "ghi danh", "xet tuyen", "vao lop 1", "vao lop mot", "vao lop 6", "vao lop sau",
        "vao lop 10", "len lop 6", "len lop 1", "len cap 2", "len cap hai", "vao cap 1", "vao cap mot", "vao cap 2",
        "vao cap hai", "vao mau giao", "di mau giao", "di nha tre", "gui tre", "gui con", "cho con di hoc",
        "cho chau di hoc", "cho be di hoc", "xin hoc", "xin cho con hoc", "xin vao truong", "vao truong",
        "hoc lop mot", "hoc lop 1", "dung tuyen", "trai tuyen",
    ],
    "chuyentruong": ["chuyen truong", "chuyen hoc", "xin chuyen truong", "ve que hoc", "rut hoc ba", "hoc ba"],
    "hocphi": ["hoc phi", "tien hoc", "mien hoc phi", "giam hoc phi", "ho tro hoc tap", "tro cap hoc tap", "hoc bong"],
    # ---- lao động / BHXH / thất nghiệp / hưu
    "thatnghiep": [
        "that nghiep", "mat viec", "nghi viec", "thoi viec", "bi sa thai", "sa thai", "bi duoi viec", "duoi viec",
        "cat giam", "cho nghi viec", "nghi lam", "khong co viec", "het hop dong", "cong ty pha san", "cong ty dong cua",
    ],
    "tainanld": ["tai nan lao dong", "bi thuong khi lam", "tai nan o cong ty", "tai nan khi lam viec", "benh nghe nghiep"],
    "quyenld": ["no luong", "khong tra luong", "cham luong", "quyt luong", "khong dong bao hiem", "trom bao hiem",
                "hop dong lao dong", "tranh chap lao dong"],
    "bhxh1lan": ["rut bao hiem", "rut bhxh", "rut so", "chot so", "lay bao hiem mot lan", "xa hoi mot lan", "huong mot lan"],
    "huutri": ["ve huu", "nghi huu", "luong huu", "huu tri", "het tuoi lao dong", "du tuoi nghi huu"],
    "xkld": [
        "xuat khau lao dong", "di xuat khau", "di lam nuoc ngoai", "di lam o nuoc ngoai", "di lam ben nhat",
        "di lam ben han", "di lam dai loan", "di nhat lam", "di han lam", "lao dong nuoc ngoai", "di xkld",
    ],
    "hocnghe": ["hoc nghe", "dao tao nghe", "day nghe", "khoa hoc nghe", "hoc may", "hoc sua xe", "hoc cat toc",
                "hoc lam banh", "hoc nghe mien phi"],
    "vayvon": ["vay tien nha nuoc", "vay nha nuoc", "vay von nha nuoc", "vay von", "ngan hang chinh sach", "vay uu dai", "vay von uu dai", "vay tien lam an", "vay von lam an",
               "vay tien de hoc", "vay von sinh vien", "vay tien hoc"],
    "lylich": [
        "ly lich", "so yeu ly lich", "xin viec", "di xin viec", "ho so xin viec", "nop ho so xin viec", "ra truong",
        "tot nghiep ra truong", "xac nhan hanh kiem", "hanh kiem",
    ],
    "thaisan": ["sinh con duoc bao nhieu tien", "nghi sinh", "che do sinh", "tien sinh con", "thai san", "mang thai", "co bau"],
    # ---- người có công / bảo trợ xã hội / nghèo
    "nguoicocong": [
        "nguoi co cong", "liet si", "thuong binh", "benh binh", "chat doc da cam", "nhiem chat doc", "da cam",
        "me viet nam anh hung", "tham gia khang chien", "khang chien", "cuu chien binh", "con liet si", "bo doi cu",
    ],
    "baotro": [
        "bao tro xa hoi", "tro cap xa hoi", "tro giup xa hoi", "tro cap hang thang",
        "khong ai nuoi", "khong noi nuong tua", "neo don", "song mot minh", "me don than", "bo don than",
        "nuoi con mot minh", "mo coi", "bi bo roi", "luong gia", "tien nguoi gia", "tien khuyet tat",
        "tien tan tat", "an tro cap", "bo me mat ca", "bo me deu mat", "mat ca bo lan me", "mat ca cha lan me",
        "mat ca bo me", "mat ca cha me",
    ],
    "nguoicaotuoi": ["luong gia", "tien nguoi gia", "80 tuoi", "tren 80", "ngoai 80", "ong ba gia", "tien duong lao",
                     "khong co luong huu"],
    "khuyettat": ["tien khuyet tat", "tien tan tat", "bai liet", "bi thieu nang", "cam diec", "mu loa", "bi liet",
                  "bi cut", "cut chan", "cut tay", "mat mot chan", "mat mot tay", "mat chan", "liet nua nguoi"],
    "hongheo": ["gia dinh kho khan", "hoan canh kho khan", "nha kho khan", "thu nhap thap", "so ngheo", "xet ngheo",
                "vao dien ngheo", "thoat ngheo"],
    "khaithacgo": ["khai thac go", "khai thac rung", "khai thac keo", "chat keo", "chat cay ban", "chat go",
                   "chat bach dan", "ban go", "ban keo", "go rung trong"],
    "chayrung": ["chay rung", "dot rung", "dot nuong", "dot ray", "dot thuc bi", "phong chay rung", "lua rung"],
    "taidinhcu": ["tai dinh cu", "di dan", "di doi dan", "di doi", "bo tri dan cu", "khu tai dinh cu",
                  "dat tai dinh cu", "don di cho khac"],
    "thuyloi": ["thuy loi", "kenh muong", "kenh hong", "muong hong", "dap tran", "bo kenh", "tuoi tieu",
                "nuoc tuoi", "mo nuoc", "tha nuoc", "dan nuoc", "lich nuoc", "bom nuoc", "nao vet kenh"],
    # ---- điện nước / hạ tầng / giao thông
    "matnuoc": ["mat nuoc", "cup nuoc", "khong co nuoc", "nuoc yeu", "vo ong nuoc", "ong nuoc vo", "nuoc duc",
                "nuoc ban", "nuoc sach", "cap nuoc", "nuoc may"],
    "matdien": ["mat dien", "cup dien", "cat dien", "chap dien", "dut day dien", "day dien dut", "chay no dien"],
    "capdien": ["keo dien", "xin dien", "lap dien", "cong to dien", "dong ho dien", "lap cong to", "cap dien",
                "dau noi dien", "tien dien", "hoa don dien"],
    "chieusang": ["den duong", "den duong hong", "chieu sang", "chieu sang cong cong", "den chieu sang"],
    "hatang": ["nap cong", "mat nap cong", "nap ho ga", "duong hong", "o ga", "ho ga", "duong xuong cap", "duong nut", "sut lun", "lun sut", "sua duong",
               "lam duong", "be tong hoa", "cau hong", "cau yeu"],
    "tainan": ["tai nan", "tai nan giao thong", "dung xe", "va cham", "xe dam", "dam xe", "bi dung", "bi dam"],
    "viahe": ["via he", "lan chiem via he", "lan chiem long duong", "ban hang via he", "do xe", "dau xe",
              "chiem duong", "lan duong", "hop cho"],
    "gplx": ["giay phep lai xe", "bang lai", "bang lai xe", "thi bang", "thi bang lai", "doi bang", "bang a1", "bang b2"],
    # ---- thiên tai
    "thientai": [
        "thien tai", "bao lu", "lu lut", "ngap lut", "bi lu", "bi lut", "bi ngap", "nuoc lu", "mua lu", "sat lo",
        "lo dat", "toc mai", "bay mai", "sap nha", "sap mai", "cay do", "mat mua", "han han",
        "xam nhap man", "loc xoay", "chay rung", "bao so", "con bao", "sau bao", "sau lu", "ve sinh sau lu", "thiet hai",
    ],
    # ---- giờ làm việc của xã
    # "điện thoại" alone is the handset ("bị giật điện thoại"); with the office it is its number
    "sdt": [
        "dien thoai xa", "dien thoai cua xa", "dien thoai ubnd", "dien thoai uy ban", "dien thoai phuong",
        "dien thoai cua phuong", "goi dien", "goi dien thoai", "lien he dien thoai", "dien thoai lien he",
        "dien thoai truc", "dien thoai cong an", "dien thoai mot cua", "so cong an", "so dien thoai cong an",
    ],
    "giolamviec": [
        "trua 12h", "12h trua", "gio trua", "co ai truc", "co ai lam", "co nguoi truc",
        "thu 7", "thu bay", "chu nhat", "cuoi tuan", "nghi trua", "gio nghi", "ngay nghi", "ngay le", "nghi le",
        "co lam viec", "co lam viec khong", "co lam khong", "lam viec khong", "may gio mo", "may gio dong",
        "lam den may gio", "buoi trua", "lam thu 7",
    ],
    "diachi": [
        "dia chi", "nam o dau", "nam o cho nao", "o tang may", "tang may", "o duong nao", "chi duong",
        "tru so o dau", "tru so o cho nao", "uy ban o dau", "uy ban o cho nao", "ubnd o dau", "xa o dau",
        "phuong o dau", "cong an xa o dau", "cong an xa o cho nao", "cong an phuong o dau",
    ],
    "dichvucong": [
        "nop online", "nop ho so online", "lam online", "dang ky online", "nop qua mang", "nop tren mang",
        "lam tren mang", "lam qua mang", "nop truc tuyen", "lam truc tuyen", "tren mang", "qua mang", "online",
    ],
    "tracuuhoso": [
        "tra cuu ho so", "kiem tra ho so", "ho so den dau", "den dau roi", "ho so xong chua", "xong chua",
        "check ho so", "theo doi ho so", "tinh trang ho so", "chua thay goi", "qua ngay hen", "tre hen",
        "chua co ket qua", "ma ho so", "bien nhan",
    ],
    "xacnhancutru": [
        "xac nhan cu tru", "xac nhan noi o", "chung minh noi o", "giay xac nhan noi o", "giay chung minh noi o",
        "thay so ho khau", "thay cho so ho khau", "khong con so ho khau", "so ho khau bi thu", "ct07", "ct 07",
        "mau ct07",
    ],
    "xaytraiphep": ["xay khong co phep", "khong co phep", "khong xin phep", "chua xin phep", "xay chui"],
    "vieclam": ["viec lam", "tim viec", "gioi thieu viec lam", "hoi cho viec lam", "san giao dich viec lam",
                "job fair", "tuyen dung", "phien giao dich viec lam"],
    "cuaroi": ["cua roi", "nhat duoc", "luom duoc", "nhat cua roi", "tai san danh roi", "tai san bi danh roi"],
    "ghichu": ["ghi chu", "ghi vao so", "sinh o nuoc ngoai", "de o nuoc ngoai", "sinh ben", "de ben",
               "ket hon o nuoc ngoai", "dang ky ket hon ben", "ly hon o nuoc ngoai"],
    # ---- quân sự
    "hoannvqs": ["tam hoan", "hoan nghia vu", "hoan goi nhap ngu", "hoan di nghia vu", "mien nghia vu", "mien goi nhap ngu",
                 "chua phai di", "khong phai di", "duoc hoan", "xin hoan"],
    "nvqs": ["kham nghia vu", "hoan nghia vu", "tron nghia vu", "giay goi nhap ngu", "lenh goi", "di nghia vu",
             "tam hoan", "mien nghia vu"],
    "xuatngu": ["xuat ngu", "ra quan", "hoan thanh nghia vu", "di bo doi ve", "xuat ngu ve"],
    # ---- chứng thực
    "chungthuc": ["hop dong mua ban", "hop dong tang cho", "hop dong chuyen nhuong", "hop dong o ubnd", "hop dong o xa",
                  "hop dong o phuong", "photo cong chung", "ban photo", "chung thuc chu ky", "xac nhan chu ky", "ky xac nhan", "sao y"],
}

# --------------------------------------------------------------------------- data types


@dataclass(frozen=True, slots=True)
class Tok:
    plain: str
    acc: str | None  # accent key when typed with diacritics
    text: str  # display form (accented where known); "" for an added situation concept
    expl: bool = False  # part of a matched situation phrase (explained by its concept)
    start: bool = False  # first word of a clause (after "," "." "?" ...)


_WORD_RE = re.compile(r"[^\W_]+", re.UNICODE)
_REPEAT3 = re.compile(r"(.)\1{2,}")


_Y_TO_I = re.compile(r"^(k|l|m|s|t|v)y$")


def _canon_plain(p: str) -> str:
    # "kí"/"ký", "lí"/"lý", "sĩ"/"sỹ", "qui"/"quy": unify spelling variants
    if _Y_TO_I.match(p):
        return p[:-1] + "i"
    if p == "qui":
        return "quy"
    return p


def _build_concept_trie() -> dict[tuple[str, ...], str]:
    table: dict[tuple[str, ...], str] = {}
    for canon, phrases in CONCEPTS.items():
        for p in phrases:
            table[tuple(_canon_plain(w) for w in p.split())] = canon
    return table


_CONCEPT_TABLE = _build_concept_trie()
_CONCEPT_MAXLEN = max(len(k) for k in _CONCEPT_TABLE)


# Phrases that look like a situation but are not one (a landlord renting out, a street's
# house number): matched first, they lead to no concept.
SITUATION_BLOCK: tuple[str, ...] = (
    "cho thue", "cho thue nha", "cho thue phong", "cho thue tro", "so nha", "cap so nha", "xin so nha",
    "ban xe", "ban xe may", "ban dat", "ban nha", "mua ban dat", "mua ban nha",
    "nuoi ong", "nuoi ong mat", "trai ong", "to ong", "mat ong",  # bees and honey, not "ông mất"
)


def _build_situation_table() -> dict[tuple[str, ...], tuple[str, ...]]:
    table: dict[tuple[str, ...], list[str]] = {tuple(p.split()): [] for p in SITUATION_BLOCK}
    for canon, phrases in SITUATIONS.items():
        for p in phrases:
            # "bị mất gà": the theft, not "bị mất" (a lost document) followed by a word
            for q in (p, "bi " + p) if p.startswith("mat ") else (p,):
                key = tuple(_canon_plain(w) for w in q.split())
                if canon not in table.setdefault(key, []):
                    table[key].append(canon)
    return {k: tuple(v) for k, v in table.items()}


_SIT_TABLE = _build_situation_table()
_SIT_MAXLEN = max(len(k) for k in _SIT_TABLE)
_SIT_FIRST = frozenset(k[0] for k in _SIT_TABLE)
SITUATION_TOKENS: frozenset[str] = frozenset(SITUATIONS)
CONCEPT_TOKENS: frozenset[str] = frozenset(CONCEPTS) | SITUATION_TOKENS
# syllables of the concept and situation phrases: known words, never "corrected" into the
# base's vocabulary
CONCEPT_WORDS: frozenset[str] = frozenset(w for key in _CONCEPT_TABLE for w in key) | frozenset(
    w for key in _SIT_TABLE for w in key
)


def _raw_words(text: str) -> list[str]:
    text = unicodedata.normalize("NFC", text).lower()
    # split camel-ish joins like "cccd/cmnd", keep letters and digits only
    words = _WORD_RE.findall(text)
    out = []
    for w in words:
        if len(w) > 40:
            continue
        if w not in TEENCODE:
            w = _REPEAT3.sub(r"\1", w)
        out.append(w)
    return out


@lru_cache(maxsize=65536)
def _plain(word: str) -> str:
    return strip_accents(word)


@lru_cache(maxsize=4096)
def _expand_cached(word: str) -> str | None:
    if word in TEENCODE:
        return TEENCODE[word]
    p = _plain(word)
    if p in TEENCODE and accent_key(word) is None:
        return TEENCODE[p]
    if p in TEENCODE and word in ("đc", "đk", "đt", "sđt", "đkkh", "đkks", "đkkt", "đkkd", "gđ", "hgđ", "lđ", "qđ", "sđđ", "qsdđ", "đky", "đki", "đươc"):
        return TEENCODE[p]
    return None


def _expand(words: list[str]) -> list[str]:
    """Teencode/abbreviation expansion with two-word context rules."""
    out: list[str] = []
    n = len(words)
    for i, w in enumerate(words):
        p = _plain(w)
        prev = _plain(words[i - 1]) if i > 0 else ""
        nxt = _plain(words[i + 1]) if i + 1 < n else ""
        if p == "dk" and w in ("dk", "đk"):
            if (
                nxt in _DK_REGISTER_STRONG
                or (nxt in _DK_REGISTER_WEAK and prev not in _DK_GIVEN_PREV)
                or (i == 0 and nxt not in ("khong", "ko", "k", "chua", "hok", "kg", "khg", ""))
            ):
                out.append("đăng ký")
            else:
                out.append("được")
            continue
        if p == "bn" and w == "bn":
            if prev in _BN_AMOUNT_PREV:
                out.append("bao nhiêu")
            elif i == 0 or nxt in ("oi", "a", "ak", "ah", "oj") or prev in ("chao", "hi", "on", "cam", "hello"):
                out.append("bạn")
            else:
                out.append("bao nhiêu")
            continue
        if p == "kh" and w == "kh" and prev in ("dk", "dang", "ky", "ki", "dky", "dki", "giay", "xin"):
            out.append("kết hôn")
            continue
        if p == "hk" and w == "hk" and prev in ("nhap", "so", "chuyen", "tach", "cat", "xoa", "dang", "ky", "ki"):
            out.append("hộ khẩu")
            continue
        if p == "bh" and w == "bh" and (nxt in ("y", "yt", "xh", "xa", "that", "tn") or prev in _BH_INSURANCE_PREV):
            out.append("bảo hiểm")
            continue
        if p == "nha" and w == "nha" and (i == 0 or prev in _NHA_PREV or nxt in _NHA_NEXT or nxt.isdigit()):
            out.append("nhà")  # "xay nha", "nha cap 4": the house, not the particle
            continue
        if p == "hong" and prev in _SOHONG_PREV:
            out.append("hồng")
            continue
        if w == "hong" and prev in _HONG_BROKEN_PREV:
            out.append("hỏng")  # "bi hong", "muong hong": broken, not the southern "hông" (không)
            continue
        if w == "lun" and (prev in ("sut", "bi") or nxt in ("sut", "nut")):
            out.append("lún")  # "sut lun", "nha bi lun": subsidence, not "luôn"
            continue
        if p == "cho" and w == "cho" and prev in ("bi", "con", "nuoi", "tiem", "dai", "bo", "bắt", "bat"):
            out.append("chó")  # "bị cho cắn": the dog, not the preposition
            continue
        if p == "v" and w == "v":
            out.append("vậy" if i == n - 1 or nxt in ("a", "ak", "ah") else "với")
            continue
        if p == "a" and w == "a":
            out.append("anh" if i == 0 or prev in ("chao", "hi", "oi") else "ạ")
            continue
        if p == "c" and w == "c":
            out.append("chị")
            continue
        if p == "kg" and w == "kg" and prev.isdigit():
            out.append("ki lô gam")  # "1 kg", "5 kg gạo": a weight, not the teencode "không"
            continue
        if p == "kt" and w == "kt":
            out.append("khai tử" if prev in ("dk", "dang", "ky", "giay", "lam") else "kiểm tra")
            continue
        dia = _dialect(w, p, prev, nxt, i == n - 1)
        if dia is not None:
            out.append(dia)
            continue
        m = _AGE_T.match(w)
        if m:
            out.append(m.group(1) + " tuổi")  # "76t" = 76 tuổi
            continue
        exp = _expand_cached(w)
        out.append(exp if exp is not None else w)
    return out


def _dialect(w: str, p: str, prev: str, nxt: str, last: bool) -> str | None:
    """Standard word for a regional one (:data:`DIALECT`), with context rules for the
    ambiguous "ba" (father, in the south) and "chi" (gì, in the centre)."""
    if p == "coi" and _plain(prev) == "mo":
        return None  # "mồ côi" typed without diacritics: an orphan, not "coi" = xem
    std = DIALECT.get(w)
    if std is not None and (w != p or p in _DIALECT_PLAIN_OK):
        if w == "nhiêu" and prev == "bao":
            return None
        return std
    if p in _DIALECT_PLAIN_OK and accent_key(w) is None:
        return DIALECT.get(p) or {"dzay": "vậy", "rua": "rứa"}.get(p)
    if p == "ba" and w in ("ba",) and nxt in _BA_FATHER_NEXT and prev not in ("ong", "ông", "cu"):
        return "bố"
    if p == "chi" and w == "chi" and (last or prev in _CHI_WHAT_PREV or nxt in ("rua", "rứa", "ri", "he", "hè")):
        return "gì"
    return None


def _phrase_matches(
    plains: list[str],
    first: frozenset[str],
    maxlen: int,
    table: dict,
    minlen: int = 1,
    accept: Callable[[int, int], bool] | None = None,
) -> list[tuple[int, int, object]]:
    """Non-overlapping phrases of ``table`` in ``plains``, longest first, left to right, as
    (start, length, value); ``accept(start, length)`` may refuse a match."""
    out: list[tuple[int, int, object]] = []
    i, n = 0, len(plains)
    while i < n:
        if plains[i] in first:
            for L in range(min(maxlen, n - i), minlen - 1, -1):
                value = table.get(tuple(plains[i : i + L]))
                if value is not None and (accept is None or accept(i, L)):
                    out.append((i, L, value))
                    i += L
                    break
            else:
                i += 1
        else:
            i += 1
    return out


def _situations(toks: list[Tok]) -> tuple[list[Tok], list[str]]:
    """Mark the syllables of everyday-situation phrases (:data:`SITUATIONS`, longest match
    first) as explained and return the concepts they lead to, in order of appearance."""
    plains = [t.plain for t in toks]
    if _SIT_FIRST.isdisjoint(plains):
        return toks, []
    n = len(toks)

    def accept(i: int, L: int) -> bool:
        if any(toks[j].start for j in range(i + 1, i + L)):
            return False  # a phrase does not run across a comma or a full stop
        # "bố em mất giấy khai sinh": lost a paper, nobody died
        return not (plains[i + L - 1] == "mat" and i + L < n and not toks[i + L].start and plains[i + L] in _LOSE_OBJECT)

    out = list(toks)
    found: list[str] = []
    for i, L, canon in _phrase_matches(plains, _SIT_FIRST, _SIT_MAXLEN, _SIT_TABLE, accept=accept):
        found.extend(c for c in canon if c not in found)  # type: ignore[attr-defined]
        if canon:  # a blocking phrase (no concept) only consumes its words
            for j in range(i, i + L):
                t = out[j]
                out[j] = Tok(t.plain, t.acc, t.text, True, t.start)
    return out, found


# "bà nội em vừa mất", "bố tôi mới qua đời": a family member, up to three words, then a word of
# dying (and not "mất giấy", "mất thẻ": losing something) -> khai tử
_FAMILY = frozenset("bo me cha ong ba vo chong chau cu bac chu di thim mo duong".split())
_DIE_NEXT = frozenset({"doi", "tran", "vong"})
_BEES = frozenset({"nuoi", "trai", "to", "mat"})
_LOSE_OBJECT = frozenset(
    """giay the so can bang ho tien xe dien nuoc lien trom tich viec mua ngu an dat nha vi ban hang
    chung cmnd cccd ks khau ten dau suc quyen kha trinh con dien thoai cap sinh
    bao phi may nhieu lau thoi cong it""".split()
)


def _death(toks: list[Tok]) -> bool:
    plains = [t.plain for t in toks]
    for i, w in enumerate(plains):
        if w not in _FAMILY or (w == "cu" and toks[i].acc != "cu5"):  # "cụ", not "cư trú"
            continue
        if w == "ong" and i and plains[i - 1] in _BEES:  # "nuôi ong mật": bees, nobody died
            continue
        for j in range(i + 1, min(len(plains), i + 5)):
            if toks[j].start:
                break
            d = plains[j]
            nxt = plains[j + 1] if j + 1 < len(plains) and not toks[j + 1].start else ""
            if d == "mat" and nxt not in _LOSE_OBJECT:
                return True
            if d in ("qua", "tu") and nxt in _DIE_NEXT or d == "chet":
                return True
    return False


# "khai sinh cho con đã 2 tuổi", "bé 5 tháng chưa làm khai sinh": past the 60 days -> quá hạn
_NUMBER_WORDS = {"mot": 1, "hai": 2, "ba": 3, "bon": 4, "sau": 6, "bay": 7, "tam": 8, "chin": 9, "muoi": 10}




def _land(toks: list[Tok]) -> bool:
    """Land is mentioned: "đất", "sổ đỏ", "sổ hồng", "bìa đỏ"."""
    plains = [t.plain for t in toks]
    return "dat" in plains or any(a in ("so", "bia") and b in ("do", "hong") for a, b in itertools.pairwise(plains))


_BABY = frozenset({"be", "con", "chau"})


def _unregistered_birth(plains: list[str]) -> bool:
    """"bé nhà em sinh được 3 tháng mà chưa làm giấy": a baby, born, not yet registered."""
    for i, p in enumerate(plains):
        if p in _BABY:
            for j in range(i + 1, min(i + 5, len(plains))):
                if plains[j] == "sinh":
                    return "chua" in plains[j + 1 :]
    return False


def _late_birth(toks: list[Tok]) -> bool:
    plains = [t.plain for t in toks]
    if not any(a == "khai" and b == "sinh" for a, b in itertools.pairwise(plains)) and not _unregistered_birth(plains):
        return False
    for a, b in itertools.pairwise(plains):
        n = int(a) if a.isdigit() and len(a) < 3 else _NUMBER_WORDS.get(a)
        if n and (b == "tuoi" or b == "thang" and n >= 3):
            return True
    return False


def _fold_concepts(toks: list[Tok], query: bool = False) -> list[Tok]:
    mode = SITUATION_QUERY if query else SITUATION_KB
    toks, extra = _situations(toks) if mode else (toks, [])
    if mode == "all" and "khaitu" not in extra and _death(toks):
        extra.append("khaitu")
    if mode == "all" and "quahan" not in extra and _late_birth(toks):
        extra.append("quahan")
        if "khaisinh" not in extra:
            extra.append("khaisinh")  # "bé sinh được 4 tháng chưa làm giấy": the registration is meant
    if mode == "all" and "khaitu" in extra and "thuake" not in extra and _land(toks):
        extra.append("thuake")  # "bố mất, sổ đỏ đứng tên bố": inheritance
    if mode == "new":
        extra = [c for c in extra if c not in CONCEPTS]
    out = _fold_only(toks)
    if extra:
        have = {t.plain for t in out}
        out.extend(Tok(c, None, "") for c in extra if c not in have)
    return out


# Word sequences that contain a concept phrase but mean something else ("mang thai lần đầu" is
# not Thái Lan): matched first, their words stay as they are.
CONCEPT_BLOCK: frozenset[tuple[str, ...]] = frozenset(
    tuple(p.split()) for p in ("mang thai lan", "thai lan dau", "thai lan thu", "co thai lan", "kham thai lan")
)
_BLOCK_MAXLEN = max(len(b) for b in CONCEPT_BLOCK)


def _fold_only(toks: list[Tok]) -> list[Tok]:
    out: list[Tok] = []
    i = 0
    n = len(toks)
    plains = [t.plain for t in toks]
    while i < n:
        blocked = next((L for L in range(_BLOCK_MAXLEN, 1, -1) if tuple(plains[i : i + L]) in CONCEPT_BLOCK), 0)
        if blocked:
            out.extend(toks[i : i + blocked])
            i += blocked
            continue
        matched = False
        for L in range(min(_CONCEPT_MAXLEN, n - i), 0, -1):
            key = tuple(plains[i : i + L])
            canon = _CONCEPT_TABLE.get(key)
            if canon is not None:
                text = " ".join(t.text for t in toks[i : i + L])
                out.append(Tok(canon, None, text))
                i += L
                matched = True
                break
        if not matched:
            out.append(toks[i])
            i += 1
    return out


# Colloquial phrases rewritten to the administrative wording (plain phrase -> standard text),
# for the knowledge base and queries alike.  Unlike CONCEPTS this keeps the words that tell
# siblings apart ("sao y bản chính" is a certified *copy*, not any certification).
REWRITES: dict[str, str] = {
    "sao y ban chinh": "chứng thực bản sao", "sao y": "chứng thực bản sao",
    "photo cong chung": "chứng thực bản sao", "cat khau": "xóa hộ khẩu", "cat ho khau": "xóa hộ khẩu",
    "cat nha": "xây nhà", "tien gia": "trợ cấp người cao tuổi", "dien ke": "công tơ điện",
    "dong ho dien": "công tơ điện", "doi sang ten": "đổi tên", "sang ten khac": "tên khác",
    "tre han": "quá hạn", "bi tre han": "quá hạn", "dang ky muon": "đăng ký quá hạn",
    # "tr" typed as "ch" (a common spelling slip in the north)
    "tam chu": "tạm trú", "thuong chu": "thường trú", "cu chu": "cư trú",
}
_REWRITE_TABLE = {tuple(_canon_plain(w) for w in k.split()): v for k, v in REWRITES.items()}
_REWRITE_MAXLEN = max(len(k) for k in _REWRITE_TABLE)
_REWRITE_FIRST = frozenset(k[0] for k in _REWRITE_TABLE)


def _rewrite(toks: list[Tok]) -> list[Tok]:
    plains = [t.plain for t in toks]
    hits = _phrase_matches(plains, _REWRITE_FIRST, _REWRITE_MAXLEN, _REWRITE_TABLE, minlen=2)
    if not hits:
        return toks
    out: list[Tok] = []
    pos = 0
    for start, length, std in hits:
        out.extend(toks[pos:start])
        out.extend(Tok(_canon_plain(_plain(w)), accent_key(w), w, False, toks[start].start) for w in str(std).split())
        pos = start + length
    out.extend(toks[pos:])
    return out


_CLAUSE = re.compile(r"[,.;:!?\n]+")


@lru_cache(maxsize=16384)
def _raw_cached(text: str) -> tuple[Tok, ...]:
    toks: list[Tok] = []
    for clause in _CLAUSE.split(text):
        first = True
        for chunk in _expand(_raw_words(clause)):
            for w in chunk.split():
                p = _canon_plain(_plain(w))
                if not p:
                    continue
                toks.append(Tok(p, accent_key(w), w, False, first))
                first = False
    return tuple(_rewrite(toks))


def analyse_raw(text: str) -> list[Tok]:
    """Expanded syllable tokens, before concept folding (used for typo correction)."""
    if not text:
        return []
    if len(text) > 2000:
        text = text[:2000]
    return list(_raw_cached(text))


def fold(toks: list[Tok], query: bool = True) -> list[Tok]:
    """Fold synonymous multi-word concepts into their canonical token."""
    return _fold_concepts(toks, query)


@lru_cache(maxsize=16384)
def _analyse_cached(text: str) -> tuple[Tok, ...]:
    return tuple(_fold_concepts(list(_raw_cached(text))))


def analyse(text: str) -> list[Tok]:
    """All tokens of ``text`` (STOP words included), after expansion and concept folding."""
    if not text:
        return []
    if len(text) > 2000:
        text = text[:2000]
    return list(_analyse_cached(text))


def content_tokens(toks: list[Tok]) -> list[Tok]:
    return [t for t in toks if not is_stop(t)]


def normalize(text: str) -> str:
    """Readable normalised form: expanded, lower case, wrappers removed, accents kept."""
    return " ".join(t.text for t in content_tokens(analyse(text)) if t.text)


def normalize_plain(text: str) -> str:
    """Accentless normalised form used for matching (concepts folded)."""
    return " ".join(t.plain for t in content_tokens(analyse(text)))


# --------------------------------------------------------------------------- chit-chat

_REPLIES = {
    "greet": "Xin chào! Bạn cần hỏi thủ tục gì ạ? Bạn cứ nhắn câu hỏi, ví dụ: \"thủ tục đăng ký khai sinh\".",
    "thanks": "Dạ, không có gì ạ. Nếu cần hỏi thêm thủ tục nào, bạn cứ nhắn nhé!",
    "bye": "Dạ, chào bạn. Chúc bạn một ngày tốt lành!",
    "ack": "Dạ vâng ạ. Bạn cần hỏi thêm gì cứ nhắn cho xã nhé!",
}


def chitchat_kind(toks: list[Tok], raw: str) -> str | None:
    """Return a chit-chat kind (greet/thanks/bye/ack) when the message is only small talk."""
    plains = [t.plain for t in toks]
    if not plains:
        return "ack" if raw.strip() else None
    if len(plains) > 8:
        return None
    if any(p not in CHIT_ALL and p not in ("ubnd",) for p in plains):
        return None
    s = set(plains)
    if s & CHIT_THANKS:
        return "thanks"
    if s & CHIT_BYE:
        return "bye"
    if s & CHIT_GREET:
        return "greet"
    return "ack"


def chitchat_reply(kind: str) -> str:
    return _REPLIES.get(kind, _REPLIES["ack"])


# --------------------------------------------------------------------------- intent cues

def _phrases(text: str) -> frozenset[str]:
    """Comma-separated phrases in the plain form the analyser gives a query ("ly hôn" → "li hon",
    "tỷ số" → "ti so"), so that a list entry matches however it is spelt here.  Write a phrase with
    its diacritics where they decide the reading ("điện thoại chị", not "chi" = gì)."""
    return frozenset(
        " ".join(t.plain for t in analyse_raw(s)) for s in text.replace("\n", ",").split(",") if s.strip()
    )


# Phrases marking a personal, commercial or advice question rather than an administrative
# procedure: "cách chữa ... tại nhà", "kinh doanh gì để giàu", "mua ở đâu giá rẻ".  A query holding
# one is never answered outright (only suggested) unless the knowledge base itself uses the phrase
# in a question or variant.
NON_PROCEDURAL: frozenset[str] = _phrases("""
    gia re, re nhat, re hon, cho nao ban, mua o dau, ban cu, mua cu, thanh ly,
    cach chua, chua benh, chua khoi, uong thuoc gi, thuoc gi, bi thuoc, an gi, nau, mon an, ngon,
    lam giau, de giau, lam sao giau, kiem tien, kiem them, dau tu gi, nen dau tu, co phieu, gui tiet kiem,
    nhanh lon, mau lon, tang trong, cho de, cach trong, cach nuoi, bi quyet, meo,
    tran dau, bong da, da bong, ty so, xo so, lo de, thoi tiet, du bao, gia vang, gia xang, ti gia,
    gia thit, gia heo, gia lon, gia ga, gia lua, gia gao, gia ca phe, gia tieu, gia sau rieng, gia hom nay,
    mot ky, 1 kg, mot kg,
    la ai, ket ban, hen ho, nguoi yeu, co dep, dep trai, choi game, phim, bai hat, ke chuyen, truyen cuoi,
    nen mua, nen chon, loai nao tot, hang nao, review, danh gia
    """)
# Matters a commune does not handle, named as citizens name them: a passport, a driving licence, a
# divorce, a criminal-record certificate (Sở Tư pháp, not the CV a commune certifies), a cadastral
# map extract (not a civil-status extract), a karaoke licence (not a household business), vehicle
# inspection, unemployment benefit, a one-off social-insurance payout, a lost diploma, a company, a
# trademark.
OUTSIDE_COMMUNE: frozenset[str] = _phrases("""
    bang lai, giay phep lai xe, thi bang, ho chieu, visa, li hon, li di,
    li lich tu phap, phieu li lich, lltp, ban do dia chinh, trich do, trich luc ban do, karaoke, vu truong,
    dang kiem, that nghiep, bhxh mot lan, bhxh 1 lan, bao hiem xa hoi mot lan, bao hiem xa hoi 1 lan,
    bang tot nghiep, van bang, thanh lap cong ti, cong ti tnhh, nhan hieu
    """)
# Words of a private, commercial or leisure intent (buying, prices, interest, recommendations,
# opening hours of a shop, travel, jobs), and matters outside the commune.  A query holding one that
# the matched entry's own text does not use is probably asking something else about the same topic
# word ("vay vốn mua ô tô lãi suất bao nhiêu" against "Vay vốn ưu đãi hộ nghèo", "xin lý lịch tư
# pháp" against "Xác nhận sơ yếu lý lịch"): a feature of the answer decision.
PRIVATE_INTENT: frozenset[str] = _phrases("""
    mua, mua ban, ban lai, thanh ly, gia bao nhieu, bao nhieu mot, gia ca, gia the nao, gia re, re nhat,
    re hon, o dau re, cho re, dat qua, dat khong, khuyen mai, giam gia, tra gop, lai suat, dat hang,
    giao hang, ship, order, ngon, hat hay, quan nao, o dau ban, cho nao ban, tot nhat,
    loai nao, hang nao, nen mua, nen chon, review, gan day, gan nhat, may gio dong, may gio mo,
    du lich, tour, khach san, ve may bay, dat ve, tuyen dung, tuyen nguoi, viec lam, xin viec, luong bao,
    thoi tiet, bong da, xo so, game, phim, ca si, cach chua, chua benh, uong thuoc, an gi, cach nau,
    mon an, lam giau, kiem tien, co phieu, chung khoan, dau tu, gui tiet kiem, bat dong san, cho thue,
    so rieng, zalo rieng, dien thoai rieng, rieng cua, facebook rieng, diem thi, diem chuan, xet tuyen dai hoc,
    dai hoc nao, met vuong, 1 met, mot met, xi mang, vat lieu xay, dich vu tang le, ao cuoi, chup anh cuoi,
    vay nhanh, vay online, vay tieu dung, app vay, bao hiem xe may, bao hiem xe, thue nha nguyen can,
    dien thoai anh, điện thoại chị, dien thoai ong, dien thoai ba, dien thoai chu, dien thoai co, so cua anh,
    số của chị, tho xay, tho sua, tho dien, tho gioi, sua xe, sua dien thoai, man hinh, iphone, laptop,
    may tinh, may giat, tu lanh, ti vi, tivi, dieu hoa, may lanh, quat, noi com,
    chia tai san, o to, xe hoi,
    cach tri, cach nuoi, cach choi, cach lam banh, tran dau, da bong, ti so, ban xe, xe cu, cho vay, cho em vay,
    duoc gia, ban duoc gia, grab, xe om, hoc them, trung tam tieng anh, cho nhom, may gio nhom,
    vay tin chap, tin chap, phat nguoi, tim phong, tim nha tro, phong tro nao, nha tro nao, chuyen tien,
    gia dat, dat nen
    """) | OUTSIDE_COMMUNE
_INTENT_MAXLEN = max(len(c.split()) for c in PRIVATE_INTENT)
_INTENT_FIRST = frozenset(c.split()[0] for c in PRIVATE_INTENT)


def private_intents(toks: list[Tok]) -> set[str]:
    """Private-intent phrases (:data:`PRIVATE_INTENT`) found in a token sequence ("mua" typed
    with a tone, "mùa", is another word)."""
    plains = [t.plain if t.plain != "mua" or t.acc is None else "mua~" for t in toks]
    if _INTENT_FIRST.isdisjoint(plains):
        return set()
    return ngrams(plains, _INTENT_MAXLEN, _INTENT_FIRST) & PRIVATE_INTENT


_CUE_MAXLEN = max(len(c.split()) for c in NON_PROCEDURAL)
_CUE_FIRST = frozenset(c.split()[0] for c in NON_PROCEDURAL)


def ngrams(plains: list[str], maxlen: int = _CUE_MAXLEN, first: frozenset[str] | None = None) -> set[str]:
    """Word n-grams up to ``maxlen`` (only those starting with a word of ``first`` if given)."""
    out: set[str] = set()
    n = len(plains)
    for i in range(n):
        if first is not None and plains[i] not in first:
            continue
        for L in range(1, min(maxlen, n - i) + 1):
            out.add(" ".join(plains[i : i + L]))
    return out


def non_procedural_cues(plains: list[str]) -> set[str]:
    """Intent cues (:data:`NON_PROCEDURAL`) found in a plain syllable sequence."""
    if _CUE_FIRST.isdisjoint(plains):
        return set()
    return ngrams(plains, _CUE_MAXLEN, _CUE_FIRST) & NON_PROCEDURAL


# --------------------------------------------------------------------------- typo helpers


_SYLLABLE = re.compile(
    r"^(ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdghklmnprstvx])?"
    r"(uye|uya|uyu|ieu|iee|yeu|oai|oay|oao|oeo|uay|uoi|uou|uoi|uai|uya|ua|ue|ui|uo|uu|uy|oa|oe|oi|oo|ai|ao|au|ay|"
    r"eo|eu|ia|ie|iu|ye|[aeiouy])"
    r"(ch|nh|ng|[cmnpt]|[iyou])?$"
)


def is_valid_syllable(p: str) -> bool:
    """Rough check that an accentless token can be a Vietnamese syllable."""
    return bool(_SYLLABLE.match(p))


def telex_candidates(p: str) -> list[str]:
    """Plausible plain forms of an unknown token typed with Telex leftovers or teen letters."""
    cands: list[str] = []
    m = _TELEX_TONE_END.match(p)
    if m and len(p) >= 3:
        cands.append(m.group(1))
    q = p
    for a, b in (("dd", "d"), ("aa", "a"), ("ee", "e"), ("oo", "o"), ("aw", "a"), ("ow", "o"), ("uw", "u")):
        q = q.replace(a, b)
    if q != p:
        cands.append(q)
        m = _TELEX_TONE_END.match(q)
        if m and len(q) >= 3:
            cands.append(m.group(1))
    # teen letters: f→ph, j→gi, w→qu/u, z→d/gi, dz→d
    if "f" in p:
        cands.append(p.replace("f", "ph"))
    if p.startswith("j"):
        cands.append("gi" + p[1:])
        cands.append("g" + p[1:])
    if p.startswith("w"):
        cands.append("qu" + p[1:])
    if p.startswith("dz"):
        cands.append("d" + p[2:])
    elif p.startswith("z"):
        cands.append("d" + p[1:])
        cands.append("gi" + p[1:])
        cands.append("v" + p[1:])
    if p.endswith("k") and not p.endswith("nk"):
        cands.append(p[:-1] + "c")
        cands.append(p[:-1] + "ch")
    if p.endswith("g") and not p.endswith("ng"):
        cands.append(p[:-1] + "ng")
    return cands
