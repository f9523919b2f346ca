"""A labelled evaluation set of Chinese ideas with known duplicate groups, made deterministically.

    /work/venv/bin/python -m tests.duplicates.evalset > /tmp/evalset.jsonl   # to look at it

Every original idea is assembled from a topic's vocabulary (place, subject, actions,
numbers), so independent ideas share the campaign's words but not their substance.
Kinds of item:
  original      a new idea (its own group)
  hard_negative a different idea that copies another's opening and topic words, or a short
                slogan made of campaign words around a different matter
  resend        the same text again, or only spacing/punctuation/full-width changed
  edit          1-6 characters substituted, inserted or deleted
  reorder       the body sentences in another order
  greeting      a greeting and/or signature added
  traditional   written in traditional characters (plus at most one edit)
  combo         reorder + edit + greeting together
"""

import json
import random
import sys

import zhconv

PLACES = [
    "城区", "泽州县", "高平市", "阳城县", "陵川县", "沁水县", "经济技术开发区", "北石店镇",
    "巴公镇", "米山镇", "凤城镇", "润城镇", "礼义镇", "端氏镇", "西街街道", "东街街道",
    "南街街道", "北街街道", "钟家庄街道", "矿区街道", "金村镇", "周村镇", "大阳镇", "晋庙铺镇",
]  # fmt: skip
TOPICS = {
    "古建筑保护": (
        ["古建筑", "古村落", "文物保护单位", "古民居", "老院落", "明清古堡"],
        [
            "编制保护利用规划",
            "对濒危建筑先抢险加固",
            "鼓励社会资本认领保护",
            "把古建知识编入乡土教材",
            "设立专项修缮资金",
            "建立文物巡查台账",
            "聘请专业团队评估结构安全",
            "开放部分院落供游客参观",
            "招募志愿者讲解历史",
            "拍摄纪录片记录修缮过程",
            "给每处古建挂牌二维码介绍",
            "禁止私自拆改",
        ],
    ),
    "交通出行": (
        ["公交线路", "停车位", "非机动车道", "红绿灯", "学校门口交通", "出租车管理"],
        [
            "在医院周边建立体停车场",
            "公交站台加装电子站牌",
            "推广错峰上下班",
            "完善无障碍出行设施",
            "增开早晚高峰班次",
            "延长末班车到晚上十点",
            "在路口增设左转信号灯",
            "施划临时停车泊位",
            "设置护学岗疏导车辆",
            "开通定制通勤公交",
            "整治电动车逆行",
            "优化站点间距",
        ],
    ),
    "生态环境": (
        ["垃圾分类", "河道治理", "城市绿化", "扬尘污染", "煤矿塌陷区", "冬季供暖污染"],
        [
            "建设污水处理厂提标改造",
            "推广厨余垃圾就地堆肥",
            "沿河建设生态步道",
            "实行渣土车密闭运输",
            "每个小区配备分类督导员",
            "定期清淤并安装监控",
            "见缝插绿建设口袋公园",
            "工地裸土全部覆盖",
            "塌陷区复垦种植经济林",
            "推广清洁能源取暖",
            "公布每月空气质量排名",
            "设立环保举报奖励",
        ],
    ),
    "教育": (
        ["课后服务", "乡村学校", "学前教育", "职业教育", "校园安全", "教师队伍"],
        [
            "合理调整学区划分",
            "为农村学生提供免费午餐",
            "建设青少年心理辅导站",
            "开放学校操场给社区",
            "延长课后托管到六点",
            "选派骨干教师轮岗支教",
            "新建两所公办幼儿园",
            "与本地企业合办实训基地",
            "安装一键报警装置",
            "提高乡村教师生活补助",
            "开设编程和科学兴趣课",
            "减少非教学检查",
        ],
    ),
    "医疗养老": (
        ["社区养老", "基层医疗", "医保报销", "老年食堂", "家庭医生", "急救网络"],
        [
            "发展医养结合机构",
            "给独居老人安装紧急呼叫器",
            "推广互联网医院复诊",
            "增加儿科夜间门诊",
            "每个社区建一个日间照料中心",
            "乡镇卫生院配齐检验设备",
            "简化异地就医备案手续",
            "给八十岁以上老人送餐上门",
            "家庭医生每月上门随访一次",
            "在乡镇设置急救站点",
            "推行检查结果互认",
            "招聘护理员并给予培训补贴",
        ],
    ),
    "产业转型": (
        ["煤炭产业", "光机电产业", "特色农业", "文旅产业", "小微企业", "数字经济"],
        [
            "培育本地龙头企业",
            "建设冷链物流中心",
            "支持高校毕业生返乡创业",
            "设立科技成果转化基金",
            "引进新材料深加工项目",
            "建设光机电产业园",
            "打造陵川党参区域品牌",
            "开发太行古堡旅游线路",
            "设立小微企业应急转贷资金",
            "建设大数据中心",
            "举办农产品直播带货节",
            "简化企业开办审批",
        ],
    ),
    "便民服务": (
        ["政务大厅", "社区服务", "菜市场", "公共厕所", "夜间经济", "快递驿站"],
        [
            "推行证明事项告知承诺",
            "建设一刻钟便民生活圈",
            "增设公共充电桩",
            "规范物业收费公示",
            "推行一窗受理",
            "周末安排值班窗口",
            "改造老旧菜市场",
            "公厕标识接入地图导航",
            "规划夜市街区并规范摊位",
            "在小区设置快递柜",
            "开通办事预约小程序",
            "延长服务时间到晚八点",
        ],
    ),
}
OPENINGS = [
    "建议加强{place}{subject}工作",
    "关于{place}{subject}的建议",
    "针对{place}{subject}存在的问题，提出如下建议",
    "我市{place}{subject}还有不少短板，建议进一步完善",
    "希望政府重视{place}{subject}",
]
DETAILS = [
    "每年安排{n}万元", "先在{place}试点{m}个月", "由相关部门牵头负责", "力争{y}年底前完成",
    "覆盖{n}户居民", "建立考核和通报制度", "每季度向社会公开进展", "请人大代表参与监督",
    "配备{m}名专职人员", "纳入年度民生实事",
]  # fmt: skip
REASONS = [
    "这样既方便群众又能提升城市形象", "群众对此反映强烈", "周边居民多次反映这个问题",
    "外地游客对此评价不高", "这是促进高质量发展的重要举措", "可以借鉴长治和太原的做法",
    "{place}已有成功经验可以推广", "这关系到老百姓的切身利益",
]  # fmt: skip
# Short slogan-like ideas made almost only of campaign words; each names a different
# matter, so they are hard negatives for each other (and resent/edited like the rest).
SLOGAN_MATTERS = [
    "食品安全",
    "老旧小区改造",
    "农村公路养护",
    "智慧城市",
    "营商环境",
    "文明城市创建",
    "背街小巷整治",
    "物业管理",
    "停车管理",
    "城市绿化",
    "夜间照明",
    "供水管网",
    "燃气安全",
    "消防通道",
    "农贸市场",
    "校外培训",
    "网约车",
    "共享单车",
    "殡葬改革",
    "流浪动物",
    "噪音扰民",
    "违章建筑",
    "广告牌匾",
    "城中村改造",
    "棚户区改造",
    "人才引进",
    "就业创业",
    "防汛排涝",
    "冬季除雪",
    "森林防火",
    "矿山安全",
    "电梯维保",
    "社区食堂",
    "托育服务",
    "残疾人就业",
    "退役军人服务",
    "法律援助",
    "诚信体系",
    "数字乡村",
    "乡村振兴",
    "非遗传承",
    "全民健身",
    "图书馆建设",
    "博物馆开放",
    "公园管理",
    "地下管廊",
    "海绵城市",
    "新能源汽车",
    "光伏发电",
    "节水灌溉",
    "高标准农田",
    "畜禽养殖污染",
    "秸秆焚烧",
    "农村厕所革命",
    "农村污水",
    "移风易俗",
    "志愿服务",
    "网格化管理",
    "信访工作",
]
SLOGAN_FRAMES = [
    "建议加强晋城{matter}管理，提升服务水平",
    "建议进一步加强我市{matter}工作，推动高质量发展",
    "希望政府加大{matter}力度，让老百姓得到实惠",
    "建议完善晋城{matter}机制，提高群众满意度",
    "加快推进全市{matter}建设，进一步改善城市环境",
]
GREETINGS = ["尊敬的领导：您好！", "各位领导好，", "您好！", "尊敬的市委市政府领导：", "大家好！"]
SIGNATURES = [
    "谢谢！", "以上建议望采纳。", "此致敬礼！", "一名普通市民", "市民王先生", "谢谢领导！",
    "以上是我的一点建议，谢谢。", "热心市民李女士 2021年6月8日",
]  # fmt: skip
EDIT_CHARS = "的了和在是有也就都要把让对为这那个们很更还又再"


def _fill(template, rng):
    return template.format(
        place=rng.choice(PLACES),
        n=rng.randint(2, 900),
        m=rng.randint(2, 30),
        y=rng.choice([2021, 2022, 2023]),
        subject="",
    )


def _original(rng, seen, topic=None, opening=None, unlike=()):
    """A new idea; its set of actions is new for the topic and shares at most one with unlike."""
    topic = topic or rng.choice(list(TOPICS))
    subjects, actions = TOPICS[topic]
    if opening is None:
        opening = rng.choice(OPENINGS).format(
            place=rng.choice(PLACES), subject=rng.choice(subjects)
        )
    while True:
        chosen = rng.sample(actions, rng.randint(2, 4))
        key = (topic, frozenset(chosen))
        if key not in seen and len(set(chosen) & set(unlike)) <= 1:
            seen.add(key)
            break
    body = []
    for action in chosen:
        sentence = action
        if rng.random() < 0.7:
            sentence += "，" + _fill(rng.choice(DETAILS), rng)
        body.append(sentence)
    if rng.random() < 0.6:
        body.append(_fill(rng.choice(REASONS), rng))
    return topic, opening, body, chosen


def _text(opening, body):
    return opening + "。" + "".join(sentence + "。" for sentence in body)


def _edit(text, rng, k):
    chars = list(text)
    for _ in range(k):
        pos = rng.randrange(len(chars))
        op = rng.random()
        if op < 0.4:
            chars[pos] = rng.choice(EDIT_CHARS)
        elif op < 0.7:
            chars.insert(pos, rng.choice(EDIT_CHARS))
        elif len(chars) > 10:
            del chars[pos]
    return "".join(chars)


def _reformat(text, rng):
    out = text.replace("，", rng.choice([",", " , ", "，", "、"])).replace(
        "。", rng.choice(["。", ". ", "！"])
    )
    if rng.random() < 0.5:  # full-width digits and a stray space
        out = out.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    return out + rng.choice(["", " ", "\n", "。。"])


def _variant(kind, opening, body, rng):
    if kind == "resend":
        text = _text(opening, body)
        return text if rng.random() < 0.5 else _reformat(text, rng)
    if kind == "edit":
        return _edit(_text(opening, body), rng, rng.randint(1, 6 if body else 2))
    if kind == "reorder":
        shuffled = body[:]
        while len(shuffled) > 1 and shuffled == body:
            rng.shuffle(shuffled)
        return _text(opening, shuffled)
    if kind == "greeting":
        text = _text(opening, body)
        roll = rng.random()
        if roll < 0.4:
            return rng.choice(GREETINGS) + text
        if roll < 0.7:
            return text + rng.choice(SIGNATURES)
        return rng.choice(GREETINGS) + text + rng.choice(SIGNATURES)
    if kind == "traditional":
        text = zhconv.convert(_text(opening, body), "zh-tw")
        return _edit(text, rng, 1) if rng.random() < 0.5 else text
    if kind == "combo":
        shuffled = body[:]
        rng.shuffle(shuffled)
        text = _edit(_text(opening, shuffled), rng, rng.randint(2, 5))
        return rng.choice(GREETINGS) + text + rng.choice(SIGNATURES)
    raise ValueError(kind)


VARIANT_KINDS = ["resend", "edit", "reorder", "greeting", "traditional", "combo"]
NEAR_KINDS = ["edit", "reorder", "greeting", "traditional", "combo"]


def build_eval_set(seed=2021, originals=1000):
    """Items in submission order: dicts with id, group, kind, text."""
    rng = random.Random(seed)
    groups = []
    seen = set()
    for _ in range(originals):
        topic, opening, body, chosen = _original(rng, seen)
        groups.append(("original", topic, opening, body))
        if rng.random() < 0.3:  # a different idea on the same topic with the same opening
            _, _, other_body, _ = _original(rng, seen, topic=topic, opening=opening, unlike=chosen)
            groups.append(("hard_negative", topic, opening, other_body))
    for matter in rng.sample(SLOGAN_MATTERS, len(SLOGAN_MATTERS)):
        frame = rng.choice(SLOGAN_FRAMES).format(matter=matter)
        position = rng.randrange(len(groups) + 1)
        groups.insert(position, ("hard_negative", "slogan", frame, []))
    items = []
    pending = []  # duplicates arrive later than their original
    for group, (kind, _topic, opening, body) in enumerate(groups):
        items.append({"group": group, "kind": kind, "text": _text(opening, body)})
        if (kind == "original" and rng.random() < 0.55) or (not body and rng.random() < 0.5):
            for _ in range(rng.choice([1, 1, 2, 3])):
                variant = rng.choice(VARIANT_KINDS if body else ["resend", "greeting", "edit"])
                pending.append((len(items) + rng.randint(0, 300), group, variant, opening, body))
        while pending and min(p[0] for p in pending) <= len(items):
            pending.sort(key=lambda p: p[0])
            _, g, variant, o, b = pending.pop(0)
            items.append({"group": g, "kind": variant, "text": _variant(variant, o, b, rng)})
    for _, g, variant, o, b in sorted(pending, key=lambda p: p[0]):
        items.append({"group": g, "kind": variant, "text": _variant(variant, o, b, rng)})
    for position, item in enumerate(items):
        item["id"] = position + 1
    return items


if __name__ == "__main__":
    for item in build_eval_set():
        sys.stdout.write(json.dumps(item, ensure_ascii=False) + "\n")
