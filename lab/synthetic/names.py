"""Word lists for synthetic applicants: common names with their readings, fictional places.

Names are ordinary (the most common surnames and typical given names) so that the text
recogniser meets realistic characters; every place name is invented (見本市, 試験町, …) and
every phone number is in the 555 block, so a sample can never be mistaken for a real person.
"""

from __future__ import annotations

# (kanji, katakana reading)
SURNAMES: tuple[tuple[str, str], ...] = (
    ("佐藤", "サトウ"),
    ("鈴木", "スズキ"),
    ("高橋", "タカハシ"),
    ("田中", "タナカ"),
    ("伊藤", "イトウ"),
    ("渡辺", "ワタナベ"),
    ("山本", "ヤマモト"),
    ("中村", "ナカムラ"),
    ("小林", "コバヤシ"),
    ("加藤", "カトウ"),
    ("吉田", "ヨシダ"),
    ("山田", "ヤマダ"),
    ("佐々木", "ササキ"),
    ("山口", "ヤマグチ"),
    ("松本", "マツモト"),
    ("井上", "イノウエ"),
    ("木村", "キムラ"),
    ("林", "ハヤシ"),
    ("清水", "シミズ"),
    ("森", "モリ"),
    ("池田", "イケダ"),
    ("橋本", "ハシモト"),
    ("石川", "イシカワ"),
    ("前田", "マエダ"),
    ("岡田", "オカダ"),
    ("長谷川", "ハセガワ"),
)

MALE_GIVEN: tuple[tuple[str, str], ...] = (
    ("太郎", "タロウ"),
    ("健太", "ケンタ"),
    ("翔太", "ショウタ"),
    ("大輔", "ダイスケ"),
    ("誠", "マコト"),
    ("浩", "ヒロシ"),
    ("拓也", "タクヤ"),
    ("直樹", "ナオキ"),
    ("和也", "カズヤ"),
    ("隆", "タカシ"),
    ("一郎", "イチロウ"),
    ("修", "オサム"),
    ("健一", "ケンイチ"),
    ("達也", "タツヤ"),
)
FEMALE_GIVEN: tuple[tuple[str, str], ...] = (
    ("花子", "ハナコ"),
    ("陽子", "ヨウコ"),
    ("恵子", "ケイコ"),
    ("美穂", "ミホ"),
    ("由美", "ユミ"),
    ("直美", "ナオミ"),
    ("久美子", "クミコ"),
    ("真由美", "マユミ"),
    ("明美", "アケミ"),
    ("智子", "トモコ"),
    ("裕子", "ユウコ"),
    ("幸子", "サチコ"),
)
# Children born in the Reiwa era get today's names.
BOY_GIVEN: tuple[tuple[str, str], ...] = (
    ("蓮", "レン"),
    ("湊", "ミナト"),
    ("悠真", "ユウマ"),
    ("陽翔", "ハルト"),
    ("大和", "ヤマト"),
    ("蒼", "アオイ"),
    ("樹", "イツキ"),
    ("悠人", "ユウト"),
)
GIRL_GIVEN: tuple[tuple[str, str], ...] = (
    ("陽葵", "ヒマリ"),
    ("結衣", "ユイ"),
    ("凛", "リン"),
    ("紬", "ツムギ"),
    ("芽依", "メイ"),
    ("葵", "アオイ"),
    ("美咲", "ミサキ"),
    ("結菜", "ユイナ"),
)

# The fictional municipality addresses were drawn from. Addresses are now real areas of Japan
# Post's dictionary (household.make_place), which still draws from these so that every other
# value of a seeded form stays as it was.
PREFECTURES: tuple[str, ...] = ("見本県", "試験県", "模擬県")
CITIES: tuple[str, ...] = ("見本市", "試験市", "例示市", "架空市", "模擬市")
TOWNS: tuple[str, ...] = (
    "試験町",
    "見本町",
    "練習町",
    "記入台",
    "例題",
    "標本",
    "模型町",
    "桜見本",
    "中央試験",
    "東見本",
    "西試験",
)
BUILDINGS: tuple[str, ...] = ("見本ハイツ", "試験コーポ", "サンプル荘", "メゾン例示")

# Fictional employers for 給与支払報告書 and 確定申告.
COMPANY_STEMS: tuple[str, ...] = (
    "見本商事",
    "試験工業",
    "例示物産",
    "架空運輸",
    "模擬建設",
    "サンプル食品",
    "見本電機",
)
COMPANY_FORMS: tuple[str, ...] = ("株式会社", "有限会社", "合同会社")

OCCUPATIONS: tuple[str, ...] = ("会社員", "公務員", "自営業", "パート", "医療職", "教員")
