"""User-facing text in English and Arabic: one translation function for every page."""

from __future__ import annotations

from typing import Literal

Language = Literal["en", "ar"]
LANGUAGES: dict[Language, str] = {"en": "English", "ar": "العربية"}

#: English text to Arabic. Text without an entry is shown in English.
ARABIC: dict[str, str] = {
    "Polling Security Planner": "مخطط أمن مراكز الاقتراع",
    "Language": "اللغة",
    "Home": "الرئيسية",
    "DEMO — synthetic data": "عرض تجريبي — بيانات اصطناعية",
    "This workspace is a synthetic demo: centres, units, incidents and audits are invented. "
    "Place names and seats are real; municipality boundaries are approximate.": (
        "مساحة العمل هذه عرض تجريبي: المراكز والوحدات والحوادث والتدقيقات مختلقة. "
        "أسماء الأماكن ومقارّ البلديات حقيقية؛ وحدود البلديات تقريبية."
    ),
    "Key figures": "الأرقام الرئيسية",
    "Polling centres": "مراكز الاقتراع",
    "Stations": "محطات الاقتراع",
    "men": "رجال",
    "women": "نساء",
    "mixed": "مختلطة",
    "Registered voters": "الناخبون المسجلون",
    "Security units": "الوحدات الأمنية",
    "Officers": "العناصر الأمنية",
    "Female officers": "عناصر نسائية",
    "Incidents": "الحوادث",
    "Voters at accessible centres": "الناخبون في مراكز ميسّرة الوصول",
    "Incidents per election": "الحوادث حسب الانتخابات",
    "Layers in this workspace": "طبقات مساحة العمل",
    "layer": "الطبقة",
    "version": "الإصدار",
    "rows": "الصفوف",
    "source": "المصدر",
    "written at": "تاريخ الكتابة",
    "author": "المؤلف",
    "note": "ملاحظة",
    "Overview map": "خريطة عامة",
    "Where next": "إلى أين بعد ذلك",
    "Signed in as": "الدخول باسم",
    "role": "الدور",
    "Single-user mode: you are the local administrator of this machine.": (
        "وضع المستخدم الواحد: أنت المسؤول المحلي على هذا الجهاز."
    ),
    "Workspace": "مساحة العمل",
    "No workspace found": "لم يتم العثور على مساحة عمل",
    "election": "الانتخابات",
    "incidents": "الحوادث",
}


def translate(text: str, lang: Language) -> str:
    """Return ``text`` in ``lang`` (English text is the key; missing entries stay English)."""
    if lang == "ar":
        return ARABIC.get(text, text)
    return text


def is_rtl(lang: Language) -> bool:
    """Return True for languages written right to left."""
    return lang == "ar"
