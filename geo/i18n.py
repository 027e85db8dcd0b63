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
    # -- the map as one HTML file (geo/mapview.py export_planning_map, ui/map.py)
    "Polling Security Planner — map": "مخطط أمن مراكز الاقتراع — خريطة",
    "Download this map (HTML)": "تنزيل هذه الخريطة (HTML)",
    "One file that opens in a browser without the app or the internet; the download is "
    "recorded in the audit log.": (
        "ملف واحد يُفتح في المتصفح دون التطبيق أو الإنترنت؛ ويُسجَّل التنزيل في سجل التدقيق."
    ),
    "Made on": "أُعدّت في",
    "Shows the exact positions of security units: share it only with people allowed to "
    "see them.": "تعرض المواقع الدقيقة للوحدات الأمنية: لا تشاركها إلا مع المخوّلين برؤيتها.",
    "Security units appear as counts per municipality, without their positions.": (
        "تظهر الوحدات الأمنية كأعداد لكل بلدية، دون مواقعها."
    ),
    "Where next": "إلى أين بعد ذلك",
    # -- the navigation menu and the home page's links (ui/navigation.py)
    "What the workspace holds, its key figures and each layer's source": (
        "محتوى مساحة العمل وأرقامها الرئيسية ومصدر كل طبقة"
    ),
    "Every layer on one map, with filters and a centre's details": (
        "كل الطبقات على خريطة واحدة، مع عوامل التصفية وتفاصيل المركز"
    ),
    "Coverage, staffing and risk of every centre": "التغطية والتزويد بالعناصر والخطر لكل مركز",
    "Plan deployments and compare scenarios": "تخطيط الانتشار ومقارنة السيناريوهات",
    "Import and correct data": "استيراد البيانات وتصحيحها",
    "Reports and exports": "التقارير والتصدير",
    "Briefing for the Security Track": "الإحاطة للمسار الأمني",
    "Users and audit log": "المستخدمون وسجل التدقيق",
    "Signed in as": "الدخول باسم",
    "role": "الدور",
    "Single-user mode: you are the local administrator of this machine.": (
        "وضع المستخدم الواحد: أنت المسؤول المحلي على هذا الجهاز."
    ),
    "Workspace": "مساحة العمل",
    "No workspace found": "لم يتم العثور على مساحة عمل",
    "election": "الانتخابات",
    "incidents": "الحوادث",
    # -- sign-in, sessions and administration (ui/auth.py, views/admin.py)
    "Sign in": "تسجيل الدخول",
    "Username": "اسم المستخدم",
    "Password": "كلمة المرور",
    "Sign-in is not configured correctly": "تسجيل الدخول غير مُعدّ بشكل صحيح",
    "the administrator finds the reason in the server log.": "يجد المسؤول السبب في سجل الخادم.",
    "Accounts are created by an administrator; after repeated failed attempts an account is "
    "locked for a while.": (
        "ينشئ المسؤول الحسابات؛ وبعد محاولات فاشلة متكررة يُقفل الحساب لبعض الوقت."
    ),
    "Enter your username and password.": "أدخل اسم المستخدم وكلمة المرور.",
    "Username or password is incorrect.": "اسم المستخدم أو كلمة المرور غير صحيحة.",
    "Too many failed sign-in attempts: this account is locked until": (
        "محاولات دخول فاشلة كثيرة: هذا الحساب مقفل حتى"
    ),
    "Try again later or ask an administrator to unlock it.": (
        "حاول لاحقًا أو اطلب من المسؤول فتح القفل."
    ),
    "You are signed out.": "تم تسجيل خروجك.",
    "You are signed out on every device.": "تم تسجيل خروجك من جميع الأجهزة.",
    "Your session ended after {minutes} minutes without activity; sign in again.": (
        "انتهت جلستك بعد {minutes} دقيقة دون نشاط؛ سجّل الدخول مجددًا."
    ),
    "Your session was ended by an administrator or from another device; sign in again.": (
        "أنهى المسؤول جلستك أو أُنهيت من جهاز آخر؛ سجّل الدخول مجددًا."
    ),
    "This account is disabled; ask an administrator to enable it.": (
        "هذا الحساب معطّل؛ اطلب من المسؤول تفعيله."
    ),
    "This account no longer exists; ask an administrator.": (
        "هذا الحساب لم يعد موجودًا؛ راجع المسؤول."
    ),
    "Log out": "تسجيل الخروج",
    "Log out everywhere": "الخروج من كل الأجهزة",
    "Ends your sessions in every browser and on every device.": (
        "ينهي جلساتك في كل المتصفحات وعلى كل الأجهزة."
    ),
    "Single-user mode is only for a server on this machine": (
        "وضع المستخدم الواحد مخصص فقط لخادم على هذا الجهاز"
    ),
    "Set PSP_USERS to a users file so that everyone signs in (see README, 'Login and team "
    "deployment'), or listen on localhost.": (
        "عيّن PSP_USERS إلى ملف مستخدمين ليسجّل الجميع الدخول (راجع README، "
        "'Login and team deployment')، أو استمع على localhost فقط."
    ),
    "Administration": "الإدارة",
    "Only administrators may open this page: it shows the audit log and manages users.": (
        "هذه الصفحة للمسؤولين فقط: تعرض سجل التدقيق وتدير المستخدمين."
    ),
    "Audit log": "سجل التدقيق",
    "Users": "المستخدمون",
    "Who (username)": "من (اسم المستخدم)",
    "Actions": "الإجراءات",
    "From": "من تاريخ",
    "Until": "حتى تاريخ",
    "entries": "قيود",
    "newest first": "الأحدث أولًا",
    "The audit log is append-only: entries cannot be changed or deleted.": (
        "سجل التدقيق للإضافة فقط: لا يمكن تعديل القيود أو حذفها."
    ),
    "Download these entries (CSV)": "تنزيل هذه القيود (CSV)",
    "Only administrators manage users.": "المسؤولون وحدهم يديرون المستخدمين.",
    "Single-user mode: there are no accounts to manage.": (
        "وضع المستخدم الواحد: لا توجد حسابات لإدارتها."
    ),
    "To let a team sign in, create a users file outside the repository and start the app "
    "with PSP_USERS set to it (see README, 'Login and team deployment'):": (
        "ليتمكن فريق من تسجيل الدخول، أنشئ ملف مستخدمين خارج المستودع وشغّل التطبيق مع "
        "تعيين PSP_USERS إليه (راجع README، 'Login and team deployment'):"
    ),
    "Add a user": "إضافة مستخدم",
    "Full name": "الاسم الكامل",
    "Role": "الدور",
    "Password again": "كلمة المرور مرة أخرى",
    "Add the user": "أضف المستخدم",
    "Change a user": "تعديل مستخدم",
    "User": "المستخدم",
    "Change": "التعديل",
    "New role (for 'set role')": "الدور الجديد (لتغيير الدور)",
    "New password (for 'reset password')": "كلمة المرور الجديدة (لإعادة التعيين)",
    "Target": "الهدف",
    "Apply": "تطبيق",
    "The two passwords differ; type them again.": "كلمتا المرور مختلفتان؛ اكتبهما مجددًا.",
    "Done": "تم",
    "add": "إضافة",
    "disable": "تعطيل",
    "enable": "تفعيل",
    "set role": "تغيير الدور",
    "reset password": "إعادة تعيين كلمة المرور",
    "unlock": "فتح القفل",
    "end sessions": "إنهاء الجلسات",
    "request from": "طلب من",
    "request through a proxy": "طلب عبر وسيط (proxy)",
    # --- reports, exports and briefing (geo/reports.py, geo/pdf.py, geo/staticmap.py) ---
    "Reports": "التقارير",
    "Briefing": "الإحاطة",
    "none": "لا شيء",
    "all": "الكل",
    "yes": "نعم",
    "no": "لا",
    "Polling security coverage report": "تقرير التغطية الأمنية لمراكز الاقتراع",
    "Parameters": "المعايير",
    "Data versions": "إصدارات البيانات",
    "Report": "التقرير",
    "Synthetic demo data": "بيانات تجريبية اصطناعية",
    "Scope": "النطاق",
    "Scope code": "رمز النطاق",
    "Scope (English)": "النطاق (بالإنجليزية)",
    "Scope (Arabic)": "النطاق (بالعربية)",
    "Filters": "عوامل التصفية",
    "Coverage as of": "التغطية بتاريخ",
    "As of": "بتاريخ",
    "min": "د",
    "Patrol reach": "مدى الدوريات",
    "Rapid-response reach": "مدى الاستجابة السريعة",
    "own radius": "بنصف قطرها الخاص",
    "units' own radii not used": "لا تُستخدم أنصاف أقطار الوحدات الخاصة",
    "A reach you change applies to every unit of its type.": (
        "المدى الذي تغيّره ينطبق على كل وحدات نوعه."
    ),
    "Default: the day of the latest incident in the workspace": (
        "الافتراضي: يوم آخر حادثة في مساحة العمل"
    ),
    "the latest incident's day": "يوم آخر حادثة",
    "Generated at": "أُنشئ في",
    "Generated by": "أنشأه",
    "Voters at centres with a protection gap": "الناخبون في مراكز بها فجوة حماية",
    "Voters at guarded and reachable centres": "الناخبون في مراكز محروسة وضمن نطاق الاستجابة",
    "Officer shortfall": "العجز في العناصر الأمنية",
    "Female officer shortfall": "العجز في العناصر النسائية",
    "Female officers assigned / required": "العناصر النسائية المكلَّفة / المطلوبة",
    "Centres where women vote with no female officer": "مراكز تقترع فيها النساء دون عنصر نسائي",
    "Centres with neither guard nor response": "مراكز بلا حراسة ولا استجابة",
    "centres": "مراكز",
    "units": "الوحدات",
    "Officers assigned / required": "العناصر المكلَّفة / المطلوبة",
    "Note": "ملاحظة",
    "positions and assignments included (role may see them)": (
        "المواقع والتكليفات مُضمَّنة (الدور مخوَّل برؤيتها)"
    ),
    "counts per municipality only; positions and assignments withheld": (
        "أعداد لكل بلدية فقط؛ المواقع والتكليفات محجوبة"
    ),
    "Incident data from the Armed Conflict Location & Event Data Project (ACLED); "
    "www.acleddata.com. Shown as aggregates only.": (
        "بيانات الحوادث من مشروع بيانات مواقع وأحداث النزاعات المسلحة (ACLED)؛ "
        "www.acleddata.com. تُعرض كمجاميع فقط."
    ),
    "ACLED export of {date}.": "تصدير ACLED بتاريخ {date}.",
    "ACLED data imported on {date} (export date not recorded).": (
        "بيانات ACLED مستوردة بتاريخ {date} (تاريخ التصدير غير مسجَّل)."
    ),
    "Page": "صفحة",
    "Map": "الخريطة",
    "Municipalities are coloured by the share of their registered voters whose centre has "
    "neither a guard nor a response unit in reach. Boundaries of municipalities are "
    "approximate unless imported. Security units are not shown.": (
        "تُلوَّن البلديات بحسب نسبة ناخبيها المسجلين الذين لا يتوفر لمركزهم حارس ولا وحدة "
        "استجابة في المدى. حدود البلديات تقريبية ما لم تُستورد حدود رسمية. الوحدات الأمنية "
        "غير معروضة."
    ),
    "Top gaps and shortfalls": "أبرز الفجوات وحالات العجز",
    "No centre has a gap or a shortfall.": "لا يوجد مركز به فجوة أو عجز.",
    "Staffing and women officers": "التوظيف والعناصر النسائية",
    "{assigned:,} officers are assigned to centres that need {required:,} (shortfall "
    "{shortfall:,}); {fassigned:,} female officers of {frequired:,} needed (shortfall "
    "{fshortfall:,}). {units:,} security units with {officers:,} officers ({women:,} women) "
    "are based in the area; their positions are not shown.": (
        "{assigned:,} عنصراً مكلَّفون بمراكز تحتاج إلى {required:,} (العجز {shortfall:,})؛ "
        "و{fassigned:,} عنصراً نسائياً من أصل {frequired:,} مطلوبة (العجز {fshortfall:,}). "
        "تتمركز في المنطقة {units:,} وحدة أمنية تضم {officers:,} عنصراً (منهم {women:,} "
        "من النساء)؛ ومواقعها غير معروضة."
    ),
    "Incidents by category over time": "الحوادث حسب الفئة عبر الزمن",
    "No incidents recorded in this area up to the analysis date.": (
        "لم تُسجَّل حوادث في هذه المنطقة حتى تاريخ التحليل."
    ),
    "Methods": "المنهجية",
    "Data provenance": "مصادر البيانات",
    "Distances are straight-line distances in a projection fitted to Libya, corrected by its "
    "local scale factor; road distance = straight line × circuity {circuity:g}.": (
        "المسافات خطوط مستقيمة في إسقاط مُلائم لليبيا، مصحَّحة بمعامل المقياس المحلي؛ "
        "مسافة الطريق = الخط المستقيم × معامل التعرج {circuity:g}."
    ),
    "A centre is guarded when a static guard is assigned to it or an unassigned one stands "
    "within {guard:g} km; checkpoints never guard a centre.": (
        "يكون المركز محروساً إذا كُلِّف به حارس ثابت أو وُجد حارس ثابت غير مكلَّف على بعد "
        "{guard:g} كم منه؛ ولا تحرس نقاط التفتيش المراكز."
    ),
    "A centre is reachable when a patrol is within {patrol:g} road-km or a rapid-response "
    "unit within {rapid:g} road-km; a unit's own response radius is used when given: "
    "{own}.": (
        "يكون المركز ضمن نطاق الاستجابة إذا وُجدت دورية على بعد {patrol:g} كم بالطريق أو "
        "وحدة تدخل سريع على بعد {rapid:g} كم بالطريق؛ ويُستخدم نصف قطر الاستجابة الخاص "
        "بالوحدة إن وُجد: {own}."
    ),
    "Coverage status: guarded and reachable (full), guard only, response only, or gap (neither).": (
        "حالة التغطية: محروس وضمن نطاق الاستجابة (كاملة)، حراسة فقط، استجابة فقط، أو فجوة "
        "(لا هذا ولا ذاك)."
    ),
    "Officers required = {base} + {per} × stations; female officers required = {female} per "
    "women's or mixed station; a shortfall is never negative and a surplus at one centre "
    "does not fill another.": (
        "العناصر المطلوبة = {base} + {per} × عدد المحطات؛ العناصر النسائية المطلوبة = {female} "
        "لكل محطة نسائية أو مختلطة؛ لا يكون العجز سالباً، ولا يسدّ فائضُ مركزٍ عجزَ مركزٍ آخر."
    ),
    "Risk (0–100) is a weighted sum of nearby incidents ({nearby:g}), incidents at the "
    "centre ({at:g}), size ({size:g}), remoteness from units ({remote:g}) and municipality "
    "context ({context:g}); incidents count within {radius:g} km and halve in weight every "
    "{half:g} days. Tiers start at {tiers}.": (
        "درجة الخطورة (0–100) مجموع مرجَّح للحوادث القريبة ({nearby:g})، والحوادث في المركز "
        "نفسه ({at:g})، والحجم ({size:g})، والبعد عن الوحدات ({remote:g})، وسياق البلدية "
        "({context:g})؛ تُحتسب الحوادث ضمن {radius:g} كم ويتناصف وزنها كل {half:g} يوماً. "
        "تبدأ المستويات عند {tiers}."
    ),
    "A centre is accessible when its latest audit found a step-free entrance and voting on "
    "the ground floor; shares count registered voters.": (
        "يكون المركز ميسَّر الوصول إذا أثبت آخر تدقيق وجود مدخل بلا درجات والاقتراع في الطابق "
        "الأرضي؛ وتُحتسب النسب على أساس الناخبين المسجلين."
    ),
    "Closed centres are left out; incidents after {day} are left out.": (
        "استُبعدت المراكز المغلقة والحوادث الواقعة بعد {day}."
    ),
    "District": "المنطقة",
    "Districts": "المناطق",
    "Municipality": "البلدية",
    "Municipalities": "البلديات",
    "Region": "الإقليم",
    "National": "على المستوى الوطني",
    "Centre": "المركز",
    "Centre ID": "رمز المركز",
    "Centres": "المراكز",
    "Coverage status": "حالة التغطية",
    "Voters": "الناخبون",
    "Risk": "الخطورة",
    "Shortfall": "العجز",
    "Officers required": "العناصر المطلوبة",
    "Officers assigned": "العناصر المكلَّفة",
    "Women required": "النساء المطلوبات",
    "Women assigned": "النساء المكلَّفات",
    "Women short": "عجز النساء",
    "No woman officer": "بلا عنصر نسائي",
    "Accessible": "ميسَّر الوصول",
    "Accessibility": "إمكانية الوصول",
    "Share of voters": "نسبة الناخبين",
    "Category": "الفئة",
    "Total": "المجموع",
    "Layer": "الطبقة",
    "Version": "الإصدار",
    "Rows": "الصفوف",
    "Source": "المصدر",
    "Written at": "تاريخ الكتابة",
    "Author": "المؤلف",
    "km": "كم",
    "no centres": "لا مراكز",
    "no voters at a gap": "لا ناخبين في فجوة",
    "up to 10 %": "حتى 10 %",
    "over 50 %": "أكثر من 50 %",
    "Item": "البند",
    "Value": "القيمة",
    "Model": "النموذج",
    "Parameter": "المعيار",
    "P-code": "الرمز",
    "Name (English)": "الاسم (بالإنجليزية)",
    "Name (Arabic)": "الاسم (بالعربية)",
    "District P-code": "رمز المنطقة",
    "District (English)": "المنطقة (بالإنجليزية)",
    "District (Arabic)": "المنطقة (بالعربية)",
    "Region P-code": "رمز الإقليم",
    "Region (English)": "الإقليم (بالإنجليزية)",
    "Region (Arabic)": "الإقليم (بالعربية)",
    "Municipality P-code": "رمز البلدية",
    "Municipality (English)": "البلدية (بالإنجليزية)",
    "Municipality (Arabic)": "البلدية (بالعربية)",
    "Female officers required": "العناصر النسائية المطلوبة",
    "Female officers assigned": "العناصر النسائية المكلَّفة",
    "Mean risk score": "متوسط درجة الخطورة",
    "Highest risk score": "أعلى درجة خطورة",
    "Share of voters at accessible centres": "نسبة الناخبين في مراكز ميسَّرة الوصول",
    "Rank": "الترتيب",
    "Risk score": "درجة الخطورة",
    "Risk tier": "مستوى الخطورة",
    "Priority (risk × voters)": "الأولوية (الخطورة × الناخبون)",
    "Latest audit": "آخر تدقيق",
    "Nearest accessible centre": "أقرب مركز ميسَّر الوصول",
    "Distance to it (km)": "المسافة إليه (كم)",
    "Men's stations": "محطات الرجال",
    "Women's stations": "محطات النساء",
    "Mixed stations": "المحطات المختلطة",
    "Election": "الانتخابات",
    "Nearest static guard (km)": "أقرب حارس ثابت (كم)",
    "Nearest patrol (km)": "أقرب دورية (كم)",
    "Nearest rapid-response unit (km)": "أقرب وحدة تدخل سريع (كم)",
    "Patrol response (min)": "زمن استجابة الدورية (دقيقة)",
    "Rapid response (min)": "زمن التدخل السريع (دقيقة)",
    "Vehicles": "المركبات",
    "Unit ID": "رمز الوحدة",
    "Agency": "الجهة",
    "Unit type": "نوع الوحدة",
    "Assigned centre": "المركز المكلَّفة به",
    "Response radius (km)": "نصف قطر الاستجابة (كم)",
    "Longitude": "خط الطول",
    "Latitude": "دائرة العرض",
    "Guarded and reachable": "محروس وضمن نطاق الاستجابة",
    "Guard only": "حراسة فقط",
    "Response only": "استجابة فقط",
    "Gap (neither)": "فجوة (لا حراسة ولا استجابة)",
    "Attack on a polling centre or office": "اعتداء على مركز اقتراع أو مكتب انتخابي",
    "Armed interference": "تدخل مسلح",
    "Obstruction of voting": "عرقلة التصويت",
    "Intimidation of voters, candidates or staff": "ترهيب الناخبين أو المرشحين أو الموظفين",
    "Theft or destruction of materials": "سرقة المواد الانتخابية أو إتلافها",
    "Violent protest": "احتجاج عنيف",
    "Hate speech or misinformation": "خطاب كراهية أو معلومات مضللة",
    "Registration irregularity": "مخالفة في التسجيل",
    "Monitor neutrality complaint": "شكوى بشأن حياد المراقبين",
    "Other": "أخرى",
    "Partly accessible": "ميسَّر الوصول جزئياً",
    "Inaccessible": "غير ميسَّر الوصول",
    "Not audited": "لم يُدقَّق",
    "Low": "منخفض",
    "Medium": "متوسط",
    "High": "مرتفع",
    "Critical": "حرج",
    "Static guards": "حراسات ثابتة",
    "Patrols": "دوريات",
    "Rapid-response units": "وحدات تدخل سريع",
    "Checkpoints": "نقاط تفتيش",
    "Summary": "ملخص",
    "Centres with gaps": "مراكز بها فجوات",
    "Staffing": "التوظيف",
    "Units by municipality": "الوحدات حسب البلدية",
    "Units": "الوحدات",
    "regions": "الأقاليم",
    "districts": "المناطق",
    "municipalities": "البلديات",
    "elections": "الانتخابات",
    "incident categories": "فئات الحوادث",
    "date from": "من تاريخ",
    "date to": "إلى تاريخ",
    "unit agencies": "جهات الوحدات",
    "unit types": "أنواع الوحدات",
    "centre types": "أنواع المراكز",
    "access statuses": "حالات إمكانية الوصول",
    # --- Reports and Briefing pages ---
    "Area": "المنطقة الجغرافية",
    "Report language": "لغة التقرير",
    "Elections (incidents)": "الانتخابات (الحوادث)",
    "Your role may not export reports. Ask an administrator for the analyst or briefer role.": (
        "لا يسمح دورك بتصدير التقارير. اطلب من المسؤول دور المحلل أو مقدّم الإحاطة."
    ),
    "The workspace has no areas of this level; import them on the Data page.": (
        "لا تحتوي مساحة العمل على مناطق من هذا المستوى؛ استوردها من صفحة البيانات."
    ),
    "Your role may see unit positions: exports include the units layer.": (
        "يسمح دورك برؤية مواقع الوحدات: تتضمن الصادرات طبقة الوحدات."
    ),
    "Exports show security units as counts per municipality only: no positions, no unit IDs.": (
        "تعرض الصادرات الوحدات الأمنية كأعداد لكل بلدية فقط: بلا مواقع ولا رموز وحدات."
    ),
    "parameters of the Coverage page": "بمعايير صفحة التغطية",
    "Downloads": "التنزيلات",
    "Excel coverage report": "تقرير التغطية (Excel)",
    "PDF briefing report": "تقرير الإحاطة (PDF)",
    "GeoPackage of every layer": "كل الطبقات (GeoPackage)",
    "Table (CSV)": "الجدول (CSV)",
    "Download the table as CSV": "تنزيل الجدول بصيغة CSV",
    "Layer (GeoJSON)": "الطبقة (GeoJSON)",
    "Download the layer as GeoJSON": "تنزيل الطبقة بصيغة GeoJSON",
    "Your role may not see the briefing. Ask an administrator for the briefer role.": (
        "لا يسمح دورك بالاطلاع على الإحاطة. اطلب من المسؤول دور مقدّم الإحاطة."
    ),
    "The workspace has no municipalities; import them on the Data page.": (
        "لا تحتوي مساحة العمل على بلديات؛ استوردها من صفحة البيانات."
    ),
    "Choose the slides": "اختيار الشرائح",
    "Slides": "الشرائح",
    "Slide": "الشريحة",
    "National → region → district → municipality": "الوطني ← الإقليم ← المنطقة ← البلدية",
    "Chosen municipalities": "بلديات مختارة",
    "◀ Previous": "▶ السابقة",
    "Next ▶": "التالية ◀",
    "Download these slides as PDF": "تنزيل هذه الشرائح بصيغة PDF",
    "Plan": "التخطيط",
    "Planning needs the 'plan' permission (roles planner and admin); ask an administrator.": (
        "يتطلب التخطيط صلاحية «التخطيط» (دورا المخطِّط والمسؤول)؛ اطلبها من المسؤول."
    ),
    "Mobile units": "الوحدات المتنقلة",
    "Officers at centres": "العناصر في المراكز",
    "Scenarios and comparison": "السيناريوهات والمقارنة",
    "Units to place": "الوحدات المراد نشرها",
    "Radius, road km (0: default)": "نصف القطر بكم الطريق (0: الافتراضي)",
    "Time limit (s)": "المهلة الزمنية (ث)",
    "Candidate sites": "المواقع المرشحة",
    "Candidate CSV (site_id, lat, lon)": "ملف CSV للمواقع المرشحة (site_id, lat, lon)",
    "Keep existing units where they stand": "إبقاء الوحدات الحالية في مواقعها",
    "Weight by registered voters": "الترجيح بعدد الناخبين المسجلين",
    "Weight by risk": "الترجيح بدرجة الخطر",
    "Exclude sites (IDs)": "استبعاد مواقع (المعرّفات)",
    "Units per district (LY-TB=5, …)": "الوحدات لكل منطقة (LY-TB=5، …)",
    "Method": "الطريقة",
    "Optimise": "تحسين",
    "Voters within reach": "الناخبون ضمن نطاق الاستجابة",
    "Change against the current units of this type, same radius": (
        "التغيّر مقارنة بالوحدات الحالية من هذا النوع وبنفس نصف القطر"
    ),
    "Demand covered": "الطلب المغطى",
    "Solver status": "حالة الحل",
    "Optimality gap": "فجوة الأمثلية",
    "Proven distance to the best possible plan (HiGHS bound); — for greedy only": (
        "المسافة المثبتة عن أفضل خطة ممكنة (حد HiGHS)؛ — للطريقة الجشعة وحدها"
    ),
    "Objective": "دالة الهدف",
    "upper bound": "الحد الأعلى",
    "sites": "مواقع",
    "candidates": "مرشحون",
    "demand groups": "مجموعات الطلب",
    "Download chosen sites (CSV)": "تنزيل المواقع المختارة (CSV)",
    "By municipality": "حسب البلدية",
    "Officer pools": "مجمّعات العناصر",
    "National pool: officers": "المجمّع الوطني: العناصر",
    "National pool: female officers": "المجمّع الوطني: العناصر النسائية",
    "District and agency pools hold today's static guards; edit them to try others.": (
        "مجمّعات المناطق والجهات تضم حراسات اليوم الثابتة؛ عدّلها لتجربة غيرها."
    ),
    "Every centre gets its base officers first": "يحصل كل مركز على عناصره الأساسية أولاً",
    "Allocate officers": "توزيع العناصر",
    "Officers placed": "العناصر الموزعة",
    "Unmet need by municipality": "الاحتياج غير الملبّى حسب البلدية",
    "Scenario name": "اسم السيناريو",
    "Save as scenario": "حفظ كسيناريو",
    "Saved": "تم الحفظ",
    "Plan A": "الخطة أ",
    "Plan B": "الخطة ب",
    "Compare": "مقارنة",
    "current deployment": "الانتشار الحالي",
    "Voters covered": "الناخبون المغطَّون",
    "Centres gaining protection": "مراكز تكسب الحماية",
    "Centres losing protection": "مراكز تفقد الحماية",
    "Centres that gain or lose coverage": "المراكز التي تكسب التغطية أو تفقدها",
    "Duplicate or delete a scenario": "نسخ سيناريو أو حذفه",
    "Scenario": "السيناريو",
    "Name of the copy": "اسم النسخة",
    "Duplicate": "نسخ",
    "Delete": "حذف",
    "optimal": "أمثل",
    "time_limit": "انتهت المهلة",
    "heuristic": "تقريبي",
    "auto": "تلقائي",
    "exact": "دقيق",
    "greedy": "جشع",
    "agency": "الجهة",
    "national": "وطني",
    "uploaded": "ملف مرفوع",
    # Data page (imports)
    "Data": "البيانات",
    "Your role may not change data. Ask an administrator for a role that may.": (
        "لا يسمح دورك بتغيير البيانات. اطلب من المسؤول دوراً يسمح بذلك."
    ),
    "Import a file": "استيراد ملف",
    "Versions": "الإصدارات",
    "Edit a record": "تعديل سجل",
    "Templates": "القوالب",
    "Municipality crosswalk": "مطابقة البلديات",
    "File to import": "الملف المراد استيراده",
    "CSV, Excel, GeoJSON, GeoPackage or zipped shapefiles; at most": (
        "ملفات CSV أو Excel أو GeoJSON أو GeoPackage أو ملفات شكل مضغوطة؛ بحد أقصى"
    ),
    "Recognised as": "تم التعرف عليه بوصفه",
    "Format": "الصيغة",
    "recognise it": "التعرف عليها تلقائياً",
    "Table": "الجدول",
    "Column mapping": "مطابقة الأعمدة",
    "How the rows join the layer": "كيف تُضاف الصفوف إلى الطبقة",
    "add and update by ID, keep the others": "إضافة وتحديث حسب المعرّف مع الإبقاء على الباقي",
    "replace the whole layer": "استبدال الطبقة بالكامل",
    "row(s) have latitude and longitude swapped: the points fall in Libya only when exchanged.": (
        "صف (صفوف) فيها خط العرض وخط الطول متبادلان: لا تقع النقاط في ليبيا إلا بعد تبديلهما."
    ),
    "Swap latitude and longitude in these rows": "تبديل خط العرض وخط الطول في هذه الصفوف",
    "Import as a new version": "الاستيراد كإصدار جديد",
    "stored": "حُفظ",
    "Version to restore": "الإصدار المراد استعادته",
    "Restore this version": "استعادة هذا الإصدار",
    "restored as version": "استُعيد بوصفه الإصدار",
    "Show": "عرض",
    "Columns": "الأعمدة",
    "error(s)": "خطأ (أخطاء)",
    "warning(s)": "تنبيه (تنبيهات)",
    "Download the report (CSV)": "تنزيل التقرير (CSV)",
    "No problem found.": "لم يُعثر على أي مشكلة.",
    "row(s) cannot be imported": "صف (صفوف) لا يمكن استيرادها",
    "The record cannot be saved": "لا يمكن حفظ السجل",
    "Rows read": "الصفوف المقروءة",
    "Accepted": "المقبولة",
    "Rejected": "المرفوضة",
    "Added / changed": "المضافة / المعدلة",
    "Removed": "المحذوفة",
    "Download the rejected rows (CSV with a reason column)": (
        "تنزيل الصفوف المرفوضة (CSV مع عمود السبب)"
    ),
    "Difference from the current version": "الفرق عن الإصدار الحالي",
    "Preview on a map": "معاينة على الخريطة",
    "Action": "الإجراء",
    "update": "تصحيح",
    "retire": "إيقاف",
    "Click the map to place the record, or type its coordinates.": (
        "انقر على الخريطة لتحديد موقع السجل، أو اكتب إحداثياته."
    ),
    "Give the record's ID to check it.": "أدخل معرّف السجل للتحقق منه.",
    "Save as a new version": "الحفظ كإصدار جديد",
    "Match a municipality list with other codes (REACH, ISO, names only) to the "
    "workspace's municipalities: by code, then name, then location.": (
        "مطابقة قائمة بلديات ذات رموز أخرى (REACH أو ISO أو أسماء فقط) مع "
        "بلديات مساحة العمل: بالرمز ثم بالاسم ثم بالموقع."
    ),
    "Municipality list": "قائمة البلديات",
    "Download the crosswalk (CSV)": "تنزيل جدول المطابقة (CSV)",
    "Unmatched rows": "الصفوف غير المطابقة",
    # Map page (views/map.py, ui/map.py, geo/mapview.py)
    "% of registered voters": "% من الناخبين المسجلين",
    "(with the incident filters)": "(حسب مرشحات الحوادث)",
    "Access": "إمكانية الوصول",
    "Accessible toilet": "دورة مياه ميسّرة",
    "All attributes": "كل الخصائص",
    "Approximate catchment (dashed)": "نطاق تقريبي (خط متقطع)",
    "Arabic name": "الاسم بالعربية",
    "Assigned to centre": "مكلّفة بالمركز",
    "Attack on a centre or office": "هجوم على مركز أو مكتب",
    "Intimidation": "ترهيب",
    "Boundary": "الحدود",
    "Centre ID, or a name in Arabic or English": "رقم المركز أو اسمه بالعربية أو الإنجليزية",
    "Centre details": "تفاصيل المركز",
    "Centre type": "نوع المركز",
    "Centres with a gap": "مراكز بلا تغطية",
    "Checkpoint": "نقطة تفتيش",
    "Clear the filters": "مسح المرشحات",
    "Close": "إغلاق",
    "Clusters show the share of each colour and the number of centres.": (
        "تُظهر المجموعات نسبة كل لون وعدد المراكز."
    ),
    "Colour centres by": "تلوين المراكز حسب",
    "Coverage": "التغطية",
    "Coverage, risk and shortfall are not shown": "لا تُعرض التغطية والمخاطر والنقص",
    "Coverage, risk and shortfall use every unit, whatever the unit filters.": (
        "تُحسب التغطية والمخاطر والنقص بكل الوحدات، أيًا كانت مرشحات الوحدات."
    ),
    "Critical (75 and above)": "حرجة (75 فأكثر)",
    "Dates": "التواريخ",
    "General": "عام",
    "Displaced": "نازحون",
    "Oil field": "حقل نفطي",
    "Military": "عسكري",
    "Prison": "سجن",
    "Hospital": "مستشفى",
    "District boundary": "حدود المنطقة",
    "Fewer → more severe incidents": "حوادث أقل ← أشد",
    "Find a centre or municipality": "البحث عن مركز أو بلدية",
    "Gap: neither": "فجوة: لا هذا ولا ذاك",
    "Guarded": "محروس",
    "Guarded by a static unit and within reach of a patrol or rapid response.": (
        "تحرسه وحدة ثابتة ويقع في نطاق دورية أو قوة تدخل سريع."
    ),
    "Guarded only": "محروس فقط",
    "Reachable only": "يمكن الوصول إليه فقط",
    "Not analysed (closed)": "لم يُحلَّل (مغلق)",
    "High (50–75)": "عالية (50–75)",
    "Medium (25–50)": "متوسطة (25–50)",
    "Low (below 25)": "منخفضة (أقل من 25)",
    "Inaccessible centre (square, dark outline)": "مركز غير ميسّر (مربع بإطار داكن)",
    "Incident heat map": "خريطة حرارية للحوادث",
    "Incidents — category (colour), severity (size)": "الحوادث — الفئة (اللون)، الخطورة (الحجم)",
    "Legend": "مفتاح الخريطة",
    "Libya outline": "حدود ليبيا",
    "Matches": "النتائج",
    "Mean risk": "متوسط المخاطر",
    "No centre or municipality matches; check the filters.": (
        "لا يوجد مركز أو بلدية مطابقة؛ راجع المرشحات."
    ),
    "No centres": "لا مراكز",
    "No polling centre matches the filters.": "لا يوجد مركز اقتراع يطابق المرشحات.",
    "Notes": "ملاحظات",
    "Nothing (outlines only)": "لا شيء (الحدود فقط)",
    "Parking near the entrance": "موقف سيارات قرب المدخل",
    "Patrol": "دورية",
    "Ramp": "منحدر",
    "Rapid response": "تدخل سريع",
    "Reachable by patrol or rapid response": "في نطاق دورية أو تدخل سريع",
    "Response radii": "نطاقات الاستجابة",
    "Road reach drawn as straight-line distance (reach ÷ circuity).": (
        "مدى الطريق مرسوم كمسافة مستقيمة (المدى ÷ معامل الالتواء)."
    ),
    "Security": "الأمن",
    "Security units (count per municipality)": "الوحدات الأمنية (العدد لكل بلدية)",
    "Security units (counts)": "الوحدات الأمنية (أعداد)",
    "Security units — agency (colour), type (shape)": (
        "الوحدات الأمنية — الجهة (اللون)، النوع (الشكل)"
    ),
    "Selected centre": "المركز المختار",
    "Severity": "الخطورة",
    "Shade municipalities by": "تظليل البلديات حسب",
    "Static guard": "حراسة ثابتة",
    "Step-free entrance": "مدخل بلا درج",
    "Type an English or Arabic name.": "اكتب اسمًا بالإنجليزية أو العربية.",
    "Units in the municipality (at its seat)": "الوحدات في البلدية (عند مقرها)",
    "Voters at fully covered centres": "الناخبون في مراكز مغطاة بالكامل",
    "Voting on the ground floor": "التصويت في الطابق الأرضي",
    "Weighted by severity.": "مرجّحة حسب الخطورة.",
    "Your role sees counts only, not where units stand.": (
        "دورك يتيح رؤية الأعداد فقط، لا مواقع الوحدات."
    ),
    "approximate boundary": "حدود تقريبية",
    "official boundary": "حدود رسمية",
    "imported boundary": "حدود مستوردة",
    "boundary": "حدود",
    "low": "منخفضة",
    "medium": "متوسطة",
    "high": "عالية",
    "critical": "حرجة",
    "figures follow the filters in the sidebar": "الأرقام تتبع مرشحات الشريط الجانبي",
    "incidents within": "حادثة ضمن",
    "units within": "وحدة ضمن",
    "incidents, with the filters": "حوادث، حسب المرشحات",
    "injured": "جريح",
    "killed": "قتيل",
    "latest audit": "آخر تدقيق",
    "never audited": "لم يُدقَّق قط",
    "not recorded": "غير مسجّل",
    "verified": "مؤكَّد",
    "not verified": "غير مؤكَّد",
    "officers": "عناصر",
    "persons": "أشخاص",
    "score 0–100": "درجة 0–100",
    "severity": "الخطورة",
    "stations": "محطات",
    "stations for": "محطات لـ",
    "total": "المجموع",
    "{n} match(es): choose one to zoom to it": "{n} نتيجة: اختر واحدة للتكبير عليها",
    "Only one version is stored: there is nothing to restore yet.": (
        "إصدار واحد فقط محفوظ: لا يوجد ما يمكن استعادته بعد."
    ),
    "All": "الكل",
    "Centres with no protection (gap)": "مراكز بلا حماية (فجوة)",
    "Centres short of officers": "مراكز ينقصها عناصر أمنية",
    "Centres where women vote with too few female officers": (
        "مراكز تقترع فيها النساء وعناصرها النسائية غير كافية"
    ),
    "Women vote, too few female officers": "تقترع النساء، والعناصر النسائية غير كافية",
    "Lists of need": "قوائم الاحتياجات",
    "List": "القائمة",
    "ranked by risk × voters": "مرتبة حسب الخطر × الناخبين",
    "Download": "تنزيل",
    "Centres with no protection": "مراكز بلا حماية",
    "Too few female officers": "عناصر نسائية غير كافية",
    "The first {shown:,} of {total:,}, ranked by risk × voters.": (
        "أول {shown:,} من {total:,}، مرتبة حسب الخطر × الناخبين."
    ),
    "No centre is on this list.": "لا يوجد أي مركز في هذه القائمة.",
    # Operations page (views/operations.py, ui/ops.py, geo/ops.py, geo/opsmap.py)
    "Operations": "غرفة العمليات",
    "Election day: live incidents, centre status and dispatch": (
        "يوم الاقتراع: الحوادث وحالة المراكز وإيفاد الوحدات لحظة بلحظة"
    ),
    (
        "The operations room is open to operators, liaisons, planners and administrators; ask an"
        " administrator for the operator or liaison role."
    ): (
        "غرفة العمليات مفتوحة للمشغّلين وضباط الاتصال والمخطّطين والمسؤولين؛ اطلب من المسؤول دور"
        " مشغّل أو ضابط اتصال."
    ),
    "Act on an incident": "التعامل مع حادثة",
    "Act within": "التعامل خلال",
    "Age (min)": "العمر (د)",
    "Assign": "إسناد",
    "At centre (ID, optional)": "في المركز (الرمز، اختياري)",
    "Available": "متاحة",
    "Centre closed": "أُغلق المركز",
    "Centre opened": "فُتح المركز",
    "Centre relocated": "نُقل المركز",
    "Centre reopened": "أُعيد فتح المركز",
    "Centre status": "حالة المركز",
    "Centre suspended": "عُلّق عمل المركز",
    "Centres not open": "مراكز غير مفتوحة",
    "Centres that lost cover": "مراكز فقدت التغطية",
    "Click the map to place a new incident or a centre's new place.": (
        "انقر على الخريطة لتحديد موقع حادثة جديدة أو الموقع الجديد لمركز."
    ),
    "Clocks (minutes)": "المهل (بالدقائق)",
    "Covered this morning, not now": "مغطّى صباحًا، وغير مغطّى الآن",
    "Dispatch": "إيفاد",
    "Dispatch a unit (nearest first)": "إيفاد وحدة (الأقرب أولًا)",
    "Dispatched": "موفدة",
    "Dispatched units": "الوحدات الموفدة",
    "Dispatched units' bases": "مقارّ الوحدات الموفدة",
    "Escalate": "تصعيد",
    "Escalated": "مُصعَّدة",
    "Every centre covered this morning is still covered.": "كل مركز كان مغطّى صباحًا ما زال مغطّى.",
    "Female searcher absent": "المفتّشة غائبة",
    "Female searcher present": "المفتّشة حاضرة",
    "From its base to the incident": "من مقرّها إلى الحادثة",
    "Incident": "الحادثة",
    "Incident assigned": "أُسندت الحادثة",
    "Incident closed": "أُغلقت الحادثة",
    "Incident escalated": "صُعّدت الحادثة",
    "Incident marked invalid": "عُدّت الحادثة غير صحيحة",
    "Incident reported": "أُبلغ عن حادثة",
    "Incident resolved": "عولجت الحادثة",
    "Incident verified": "تأكّدت الحادثة",
    "Incidents today": "حوادث اليوم",
    "Incidents today — state (colour), severity (size)": (
        "حوادث اليوم — الحالة (اللون)، الخطورة (الحجم)"
    ),
    "Live map": "الخريطة الحيّة",
    "Log an incident": "تسجيل حادثة",
    "Log the incident": "سجّل الحادثة",
    "Lost cover since the morning": "فقدت التغطية منذ الصباح",
    "Mark invalid": "عدّها غير صحيحة",
    "Marked invalid": "غير صحيحة",
    "Median time to resolution": "الوسيط حتى المعالجة",
    "Median time to verification": "الوسيط حتى التأكّد",
    "Name": "الاسم",
    "No available patrol or rapid-response unit.": "لا توجد دورية أو وحدة تدخل سريع متاحة.",
    "No centre loses cover while it is away.": "لا يفقد أي مركز التغطية أثناء غيابها.",
    "No open incident.": "لا توجد حادثة مفتوحة.",
    "Not open (planned, suspended or closed)": "غير مفتوح (مخطّط أو معلّق أو مغلق)",
    "Not yet reported": "لم يُبلَّغ بعد",
    "Now": "الآن",
    "Of the incidents resolved, or open for longer than the target.": (
        "من الحوادث التي عولجت، أو بقيت مفتوحة أطول من المهلة المستهدفة."
    ),
    "Open incidents": "حوادث مفتوحة",
    "Opened": "فُتح",
    "Overdue": "متأخّرة",
    "Owner": "المسؤول",
    "Police absent": "الشرطة غائبة",
    "Police present": "الشرطة حاضرة",
    "Polling centres (live)": "مراكز الاقتراع (مباشر)",
    "Polling centres — live coverage": "مراكز الاقتراع — التغطية الآن",
    "Recorded": "سُجّل",
    "Red: not verified within {v} minutes or not acted on within {a}.": (
        "بالأحمر: لم تتأكّد خلال {v} دقيقة أو لم يُتعامل معها خلال {a} دقيقة."
    ),
    "Relocate to the clicked place": "انقل إلى الموقع المحدّد بالنقر",
    "Reopen": "إعادة الفتح",
    "Reported, not verified": "مُبلَّغ عنها، غير مؤكَّدة",
    "Resolve": "معالجة",
    "Resolve within (target)": "المعالجة خلال (المهلة المستهدفة)",
    "Resolved within target": "عولجت ضمن المهلة",
    "Resolved, to be closed": "عولجت، بانتظار الإغلاق",
    "Response times": "أزمنة الاستجابة",
    "State": "الحالة",
    "Status": "الوضع",
    "Suspend": "تعليق",
    "Suspended": "معلّق",
    "To resolve (min)": "حتى المعالجة (د)",
    "To verify (min)": "حتى التأكّد (د)",
    "Unit": "الوحدة",
    "Unit back": "عادت الوحدة",
    "Unit back at its base": "وحدة عادت إلى مقرّها",
    "Unit dispatched": "أوفدت وحدة",
    "Units available": "وحدات متاحة",
    "Units dispatched": "وحدات موفدة",
    "Updated": "حُدّث",
    "Verified": "مؤكَّدة",
    "Verify": "تأكيد",
    "Verify within": "التأكّد خلال",
    "Was": "كان",
    "While it is away these centres lose cover": "أثناء غيابها تفقد هذه المراكز التغطية",
    "Why": "السبب",
    "Women's stations, no searcher": "محطات نسائية بلا مفتّشة",
    "Women's stations at open centres whose female searcher is reported absent.": (
        "محطات نسائية في مراكز مفتوحة أُبلغ عن غياب المفتّشة فيها."
    ),
    "Your role may not change the day's record.": "لا يسمح دورك بتغيير سجلّ اليوم.",
    "log version": "إصدار السجلّ",
    "not acted on in time": "لم يُتعامل معها في الوقت",
    "not verified in time": "لم تتأكّد في الوقت",
    "on roads": "على الطرق",
    "straight line": "خط مستقيم",
    "target": "المهلة المستهدفة",
    "uncovers": "تكشف",
    "Shift handover": "تسليم المناوبة",
    "Since": "منذ",
    "the start of the day": "بداية اليوم",
    "Open incidents per owner": "الحوادث المفتوحة لكل مسؤول",
    "nobody yet": "لا أحد بعد",
    "What changed since": "ما تغيّر منذ",
    "Nothing was recorded.": "لم يُسجَّل شيء.",
    "Time": "الوقت",
    "What": "ماذا",
    "About": "بشأن",
    "By": "بواسطة",
    "Shift handed over": "سُلّمت المناوبة",
    "Hand over the shift": "سلّم المناوبة",
    "Download the handover brief (PDF)": "تنزيل موجز التسليم (PDF)",
    "Handover": "التسليم",
    "The day so far": "اليوم حتى الآن",
    "Incidents by hour (UTC)": "الحوادث حسب الساعة (UTC)",
    "Hour": "الساعة",
    "Unknown": "غير معروف",
    "Centres that closed, and for how long": "المراكز التي أُغلقت، ومدة إغلاقها",
    "No centre closed or was suspended.": "لم يُغلق أي مركز ولم يُعلَّق.",
    "To": "إلى",
    "Minutes": "الدقائق",
    "Download the incidents of the day (CSV)": "تنزيل حوادث اليوم (CSV)",
    # -- coded values as files write them (geo/vocabulary.py)
    "Open": "مفتوح",
    "Planned": "مخطط له",
    "Closed": "مغلق",
    "Electoral Security Department": "إدارة أمن الانتخابات",
    "Specialised Police": "الشرطة المتخصصة",
    "Central Support Force": "قوة الإسناد المركزي",
    "Municipal Guard": "الحرس البلدي",
    "Rows of a municipality list that match none of the workspace's": (
        "صفوف قائمة البلديات التي لا تطابق أيًا من بلديات مساحة العمل"
    ),
    "add them as new municipalities (code X-…, not official)": (
        "إضافتها كبلديات جديدة (رمز X-…، غير رسمي)"
    ),
    "reject them, with the reason": "رفضها مع ذكر السبب",
    "Use a saved column mapping (JSON)": "استخدام مطابقة أعمدة محفوظة (JSON)",
    "Save this column mapping (JSON)": "حفظ مطابقة الأعمدة هذه (JSON)",
    "Reported": "مُبلَّغ عنها",
    "resolved": "عولجت",
    # issue 18 additions (reach on roads: Coverage page, risk, map); port as one block
    "Roads when the workspace has them": "الطرق حين تحتويها مساحة العمل",
    "Road network": "شبكة الطرق",
    "Straight line × circuity": "خط مستقيم × معامل التعرج",
    "Patrol reach on roads (minutes)": "مدى الدوريات على الطرق (دقائق)",
    "Rapid-response reach on roads (minutes)": "مدى الاستجابة السريعة على الطرق (دقائق)",
    "Reach on roads": "المدى على الطرق",
    "Reach model": "نموذج المدى",
    "Off-road speed (km/h)": "السرعة خارج الطرق (كم/س)",
    "Speeds per road class (km/h)": "السرعات حسب فئة الطريق (كم/س)",
    "motorway": "طريق سريع",
    "trunk": "طريق رئيسي",
    "primary": "طريق أولي",
    "secondary": "طريق ثانوي",
    "tertiary": "طريق ثالثي",
    "other roads": "طرق أخرى",
    "reach": "المدى",
    "centres on the network model": "مركزًا على نموذج الشبكة",
    "centres on the straight model": "مركزًا على نموذج الخط المستقيم",
    "Reach per centre": "المدى لكل مركز",
    "Straight lines against roads": "الخطوط المستقيمة مقابل الطرق",
    "Minutes to the nearest units are shown only to roles that see units.": (
        "لا تُعرض الدقائق إلى أقرب الوحدات إلا للأدوار التي ترى مواقع الوحدات."
    ),
    "The workspace has no roads layer: import one to compare straight lines with roads.": (
        "لا تحتوي مساحة العمل على طبقة طرق: استورد واحدة لمقارنة الخطوط المستقيمة بالطرق."
    ),
    "Centres that change status": "مراكز تتغير حالتها",
    "Lose reach on roads": "تفقد المدى على الطرق",
    "Gain reach on roads": "تكسب المدى على الطرق",
    "voters": "الناخبون",
    "Same parameters, reach measured both ways; most voters changed first.": (
        "المعايير نفسها، والمدى مقيس بالطريقتين؛ الأكثر ناخبين تغيرًا أولًا."
    ),
    "Reach measured by": "المدى مقيس بـ",
    "network": "شبكة الطرق",
    "straight": "خط مستقيم",
    "Roads": "الطرق",
    "Roads by class": "الطرق حسب الفئة",
    "© OpenStreetMap contributors, ODbL 1.0": "© مساهمو OpenStreetMap، رخصة ODbL 1.0",
    "Reach area": "منطقة المدى",
    "straight line × circuity": "خط مستقيم × معامل التعرج",
    "Reach area of a unit or site": "منطقة مدى وحدة أو موقع",
    "None": "لا شيء",
    # end of issue 18 additions
}


def translate(text: str, lang: Language) -> str:
    """Return ``text`` in ``lang`` (English text is the key; missing entries stay English)."""
    if lang == "ar":
        return ARABIC.get(text, text)
    return text


def is_rtl(lang: Language) -> bool:
    """Return True for languages written right to left."""
    return lang == "ar"
