"""A second labelled set of the kinds the first one (evalset.py) lacks, written apart from it.

    .venv/bin/python -m tests.duplicates.measure_hard          # per-kind figures

Base ideas are written by hand, one per line of BASES, each about a real Jincheng place
(counties, towns, scenic spots, hospitals, stations, streets). From each base:

same idea (must be grouped with the base):
  resend          the same text with spacing, punctuation or full-width changes
  dropped         one sentence (not the first) left out
  added           one sentence of support or context added
  reorder         the sentences in another order
  letter          the idea pasted into a letter: greeting, who writes, the idea, a close
  long_letter     the same inside a long letter (about twice the idea's length around it)
  alias           the place written the short way (高平市 -> 高平) plus a small edit
  reworded        the same proposal in other words, written by hand (reported only: a
                  lexical method is not expected to find these)
  reworded_formal the same again by another writer, in the formal register of a motion
                  (12 of the bases; reported only)

a different idea (must NOT be grouped with the base):
  other_place     the same proposal for another place of the same kind
  contrast        the same wording asking for the opposite (延长/缩短, 停电/停水 …)
  other_ask       the same opening and frame with a different ask

with templates=True, ideas inside a shared template (a WeChat form's or a paper form's
fixed lines, no ask words, about three times the idea's length), appended after the
items above (which stay as they are): each base's sentences that ask for nothing (its
ask left out, as a dropped sentence), pasted into one of two templates:
  template        that text in the template, against the base (same idea)
  template_resend the template item resent with punctuation and one character changed,
                  against the template item (same idea)
  template_other  the next base's text in the same template, against the template item
                  (a different idea; it is the next base's idea in another template)
Measured with and without boilerplate learned from the set itself (measure_hard.py).

Kinds are scored as pairs (variant, its base) in scoring_hard.py.
"""

from __future__ import annotations

import json
import random
import re
import sys
import unicodedata

# (kind of place, places of that kind)
PLACES = {
    "county": ["泽州县", "高平市", "阳城县", "陵川县", "沁水县", "城区"],
    "town": [
        "巴公镇", "北石店镇", "周村镇", "大阳镇", "米山镇", "润城镇", "端氏镇", "凤城镇",
        "嘉峰镇", "町店镇", "金村镇", "高都镇", "崇文镇", "龙港镇", "钟家庄街道", "西上庄街道",
    ],
    "scenic": [
        "皇城相府", "王莽岭", "珏山", "白马寺山", "炎帝陵", "湘峪古堡", "锡崖沟", "蟒河景区",
        "析城山", "青莲寺", "棋子山", "柳氏民居", "郭峪古城", "砥洎城",
    ],
    "hospital": [
        "晋城市人民医院", "晋城大医院", "晋城市中医院", "高平市人民医院", "泽州县人民医院",
    ],
    "station": ["晋城东站", "晋城站", "晋城客运东站", "高平东站"],
    "street": ["凤台街", "泽州路", "黄华街", "新市街", "书院街", "红星街", "文昌街", "中原街"],
}  # fmt: skip
SHORT = {"泽州县": "泽州", "高平市": "高平", "阳城县": "阳城", "陵川县": "陵川", "沁水县": "沁水",
         "巴公镇": "巴公", "北石店镇": "北石店", "周村镇": "周村", "米山镇": "米山",
         "润城镇": "润城", "端氏镇": "端氏", "钟家庄街道": "钟家庄"}  # fmt: skip

# Each base: place kind, sentences ({p} is the place), an optional contrast (a word of the
# text and its opposite), another ask for the same frame (replaces the sentence marked by
# index `ask`), and a hand-written re-wording ({p} again).
BASES = [
    dict(
        kind="scenic",
        ask=1,
        contrast=("增加", "减少"),
        s=[
            "{p}景区节假日停车非常困难，游客的车经常停到公路边上",
            "建议在景区入口附近增加临时停车场，并安排专人引导车辆",
            "同时开通从县城到景区的旅游专线，减少自驾车辆",
        ],
        other="建议景区实行网上预约分时段入园，控制每天的游客数量",
        reword="每到放假去{p}玩，车根本没地方放，只能停路边。能不能在门口多弄点停车的地方，再开个直达的旅游公交？",
    ),
    dict(
        kind="county",
        ask=1,
        contrast=("延长", "缩短"),
        s=[
            "{p}政务服务中心的办事窗口下午五点就下班了",
            "上班族只能请假去办事，建议延长工作日的办公时间到晚上七点",
            "周六上午也可以安排部分窗口值班",
        ],
        other="建议在政务服务中心增设自助打印和自助查询设备",
        reword="在{p}办证太难了，五点就关门，我们上班的人只能请假。希望晚上能多开两个小时，周六也开半天。",
    ),
    dict(
        kind="town",
        ask=1,
        contrast=("停电", "停水"),
        s=[
            "最近{p}经常计划停电，通知只贴在村委会门口",
            "很多在外打工的村民根本看不到，建议通过短信和微信群提前三天发布停电通知",
            "并在通知里写清楚恢复的时间",
        ],
        other="建议供电部门对老旧线路进行改造，减少故障次数",
        reword="{p}这边老是停电，通知就贴村委会门口，谁能看见啊？麻烦提前几天发个短信或者在群里说一声，说好啥时候来电。",
    ),
    dict(
        kind="hospital",
        ask=1,
        contrast=("增设", "取消"),
        s=[
            "{p}门诊挂号排队时间太长，老年人不会用手机预约",
            "建议在门诊大厅增设人工挂号窗口，安排志愿者帮助老人",
            "并在周末开设普通内科门诊",
        ],
        other="建议医院增加停车位，缓解就医停车难的问题",
        reword="去{p}看病光挂号就得排一上午，老人家又不会在手机上约号，能不能多开几个人工窗口，再找些志愿者帮帮忙？",
    ),
    dict(
        kind="station",
        ask=1,
        contrast=("增开", "停开"),
        s=[
            "{p}到市区的公交车班次太少，晚上的高铁到站后经常没有公交",
            "建议增开夜间接驳公交，发车时间与列车到站时间衔接",
            "并在站前设置出租车统一候客区",
        ],
        other="建议在车站设置共享单车停放点，方便短途出行",
        reword="晚上坐火车到{p}，出站就没公交了，打车还得抢。希望能根据火车到站时间多安排几趟夜班车，出租车也排好队。",
    ),
    dict(
        kind="street",
        ask=1,
        contrast=("允许", "禁止"),
        s=[
            "{p}两侧的人行道被大量电动车和汽车占用",
            "建议在人行道上施划禁停标线，禁止机动车停放",
            "城管部门定期巡查，对违规停放的车辆进行处罚",
        ],
        other="建议在街道两侧增设垃圾桶和休息座椅",
        reword="{p}人行道上全是车，人都没法走。赶紧画上不让停车的线，城管也常来查查，乱停的就罚。",
    ),
    dict(
        kind="county",
        ask=0,
        contrast=("提高", "降低"),
        s=[
            "建议提高{p}农村高龄老人的生活补贴标准",
            "目前八十岁以上老人每月只有几十元，物价上涨后已经不够用",
            "补贴可以按年龄段分档发放，九十岁以上再适当增加",
        ],
        other="建议为农村独居老人安装一键呼叫设备，定期上门探访",
        reword="{p}乡下八十多岁的老人一个月才补几十块钱，现在啥都涨价了，这点钱哪够？能不能多给点，岁数越大给得越多。",
    ),
    dict(
        kind="town",
        ask=1,
        contrast=("开放", "关闭"),
        s=[
            "{p}中心小学的操场和篮球场放学后都锁着",
            "建议在放学后和节假日向周边居民开放学校体育场地",
            "由学校和社区共同管理，做好安全登记",
        ],
        other="建议在镇上新建一个全民健身广场，配备健身器材",
        reword="我们{p}学校的操场平时都锁门，附近的人想打个球都没地方。放学和周末能不能让居民进去锻炼，登个记就行。",
    ),
    dict(
        kind="scenic",
        ask=1,
        contrast=("免费", "收费"),
        s=[
            "{p}周边的公共厕所数量少，而且卫生条件差",
            "建议在游客集中的地方新建几座免费的旅游厕所，并安排专人保洁",
            "厕所位置在景区导览图和路口指示牌上标清楚",
        ],
        other="建议景区增设多语种的讲解牌和语音导览",
        reword="{p}附近找个厕所太难了，找到了也脏得很。多修几个不要钱的厕所，找人天天打扫，路口立个牌子指一下。",
    ),
    dict(
        kind="county",
        ask=1,
        contrast=("上调", "下调"),
        s=[
            "{p}城区的路边停车收费标准不统一，有的路段一小时收十元",
            "建议由物价部门统一制定路边停车收费标准，适当下调热门路段的价格",
            "收费员必须出具正规票据",
        ],
        other="建议在城区建设几处立体停车库，增加停车泊位",
        reword="在{p}路边停个车，有的地方一个钟头要十块，太贵了，也没个统一的价。应该统一定价，还得给正规发票。",
    ),
    dict(
        kind="town",
        ask=1,
        contrast=("增加", "减少"),
        s=[
            "{p}到市区的城乡公交每天只有早晚两班",
            "建议增加城乡公交的班次，白天至少每小时一班",
            "并把末班车时间推迟到晚上七点以后",
        ],
        other="建议对城乡公交车辆进行更新，淘汰老旧车辆",
        reword="从{p}去市里的公交一天就两趟，早上一趟晚上一趟，太不方便。白天最好一个钟头一趟，最后一班晚点走。",
    ),
    dict(
        kind="street",
        ask=1,
        contrast=("白天", "夜间"),
        s=[
            "{p}沿街的烧烤店油烟很大，住在楼上的居民意见很多",
            "建议环保部门督促商户安装油烟净化设备，夜间十点后停止露天烧烤",
            "对拒不整改的商户依法处罚",
        ],
        other="建议对沿街商铺的招牌进行统一规划设计",
        reword="{p}楼下那几家烧烤店烟太大了，楼上根本不敢开窗。让他们装上净化器，晚上十点以后别在外面烤了。",
    ),
    dict(
        kind="hospital",
        ask=1,
        contrast=("新建", "拆除"),
        s=[
            "{p}住院部的电梯太少，高峰时段病人和家属要等很久",
            "建议在住院部新建两部专用电梯，病人优先使用",
            "同时安排工作人员在高峰时段引导乘梯",
        ],
        other="建议医院开通夜间药房，方便急诊病人取药",
        reword="在{p}住院，等电梯能等十几分钟，推着病人的更着急。多装两部电梯吧，让病人先坐，忙的时候派个人管管。",
    ),
    dict(
        kind="scenic",
        ask=1,
        contrast=("冬季", "夏季"),
        s=[
            "{p}一到冬季游客就很少，周边的农家乐和民宿几乎没有生意",
            "建议开发冬季旅游项目，比如冰雪节和年俗文化活动",
            "由文旅部门统一宣传，推出冬季门票优惠",
        ],
        other="建议景区和周边村庄联合打造农特产品展销中心",
        reword="{p}冬天基本没人去，旁边开农家乐的都快撑不下去了。搞点冬天能玩的，办个冰雪节什么的，门票再便宜点。",
    ),
    dict(
        kind="county",
        ask=1,
        contrast=("农村", "城镇"),
        s=[
            "{p}农村的快递只能送到镇上，村民取件要跑十几里路",
            "建议在每个行政村设立快递代收点，由邮政统一配送到村",
            "对代收点给予一定补贴",
        ],
        other="建议在农村建设电商服务站，帮助村民网上销售农产品",
        reword="{p}村里买个东西，快递只送到镇上，取一趟来回十几里。村里设个代收点吧，邮政给送过来。",
    ),
    dict(
        kind="town",
        ask=1,
        contrast=("供水", "供暖"),
        s=[
            "{p}部分小区冬天的集中供暖温度一直达不到标准",
            "建议热力公司对供暖管网进行排查，开通供暖投诉热线",
            "室温不达标的应按天退还取暖费",
        ],
        other="建议对老旧小区的外墙进行保温改造",
        reword="{p}我们小区暖气一点都不热，屋里还得穿棉袄。让热力公司查查管子，不达标的按天退钱。",
    ),
    dict(
        kind="station",
        ask=1,
        contrast=("开放", "关闭"),
        s=[
            "{p}候车厅的座位太少，旅客只能坐在地上",
            "建议增加候车厅座椅，开放二楼的闲置区域作为候车区",
            "并设置母婴室和老年人休息区",
        ],
        other="建议在车站安装更多的充电插座和免费无线网络",
        reword="{p}候车的时候根本没地方坐，好多人坐地上。二楼空着也不开，多放些椅子，再弄个母婴室。",
    ),
    dict(
        kind="street",
        ask=1,
        contrast=("增设", "取消"),
        s=[
            "{p}和学校门口交叉的路口没有红绿灯，学生过马路很危险",
            "建议在路口增设红绿灯和人行横道，上下学时段安排交警值守",
            "路口前方设置减速带和警示牌",
        ],
        other="建议对街道两侧的行道树进行修剪，挡住了路灯",
        reword="{p}学校门口那个路口连个红绿灯都没有，孩子们过马路太危险了。装个红绿灯画上斑马线，放学时让交警来站站岗。",
    ),
    dict(
        kind="county",
        ask=1,
        contrast=("公办", "民办"),
        s=[
            "{p}城区的公办幼儿园学位很紧张，很多孩子只能上高价的私立园",
            "建议利用闲置校舍新建两所公办幼儿园，扩大普惠学位",
            "并加强对幼儿园收费的监管",
        ],
        other="建议为幼儿园教师提高待遇，稳定教师队伍",
        reword="在{p}想上个公立幼儿园太难了，抢不上只能去私立的，一个月好几千。把空着的校舍改成公立园吧。",
    ),
    dict(
        kind="town",
        ask=1,
        contrast=("增加", "减少"),
        s=[
            "{p}卫生院只有一名儿科医生，孩子生病只能往市里跑",
            "建议增加卫生院的儿科医生，市级医院定期派专家下乡坐诊",
            "并开通远程会诊",
        ],
        other="建议卫生院配备救护车，提高急救能力",
        reword="{p}卫生院就一个看孩子的大夫，娃一发烧就得往市里跑。多配几个儿科大夫吧，市里医院也常派人下来看看。",
    ),
    dict(
        kind="scenic",
        ask=1,
        contrast=("允许", "禁止"),
        s=[
            "{p}的古建筑上有不少游客乱刻乱画的痕迹",
            "建议在重点部位安装监控，禁止游客触摸和攀爬文物",
            "对刻画行为公开曝光并依法处罚",
        ],
        other="建议景区设立文物保护志愿者岗位",
        reword="{p}那些老房子的墙上被人刻了好多字，太可惜了。装上摄像头，不让人乱摸乱爬，刻字的就曝光罚款。",
    ),
    dict(
        kind="hospital",
        ask=1,
        contrast=("白天", "夜间"),
        s=[
            "{p}的陪护床要到晚上九点才能租，白天家属只能站着",
            "建议调整陪护床的出租时间，白天也可以使用",
            "并统一公示租金标准",
        ],
        other="建议医院食堂为住院病人提供营养配餐",
        reword="{p}的陪护椅晚上九点才给租，白天陪床的家属只能站一天。白天也让用吧，租金也公开一下。",
    ),
    dict(
        kind="county",
        ask=1,
        contrast=("增加", "减少"),
        s=[
            "{p}的城区公园里晚上健身的人很多，但是照明不够",
            "建议增加公园步道的路灯，夜间照明开到晚上十一点",
            "在偏僻的角落安装监控",
        ],
        other="建议公园划定广场舞区域，控制音响音量",
        reword="晚上在{p}公园遛弯的人不少，路上黑乎乎的。多装点路灯，开到十一点，偏的地方装个监控。",
    ),
    dict(
        kind="town",
        ask=1,
        contrast=("新建", "拆除"),
        s=[
            "{p}集市每逢赶集日都占道经营，车辆根本过不去",
            "建议在镇区边上新建一个固定的农贸市场，集中安置摊贩",
            "赶集日安排人员疏导交通",
        ],
        other="建议对集市的食品安全进行抽查",
        reword="{p}一赶集路就全堵了，摊子摆满了街。在镇子边上盖个固定的市场，把摊子都挪进去，赶集的时候派人指挥一下车。",
    ),
    dict(
        kind="station",
        ask=1,
        contrast=("延长", "缩短"),
        s=[
            "{p}的售票窗口晚上八点就关了，晚班车的旅客买不到票",
            "建议延长人工售票窗口的服务时间到最后一班车发车",
            "并增加自助售票机",
        ],
        other="建议车站提供行李寄存服务",
        reword="{p}晚上八点售票口就关门了，坐晚班车的人票都买不上。窗口开到最后一班车走吧，再多放几台自动售票的机器。",
    ),
    dict(
        kind="street",
        ask=1,
        contrast=("增加", "减少"),
        s=[
            "{p}一带的公共自行车站点太少，借车还车都不方便",
            "建议增加公共自行车站点和车辆，每隔五百米设置一个站点",
            "及时维修损坏的车辆",
        ],
        other="建议在街道沿线设置电动自行车充电桩",
        reword="{p}这边公共自行车站太少了，借个车得走好远。每五百米设一个站吧，坏车也赶紧修。",
    ),
    dict(
        kind="scenic",
        ask=1,
        contrast=("提高", "降低"),
        s=[
            "{p}的门票价格偏高，本地居民去一次要花不少钱",
            "建议对本市居民实行门票优惠，凭身份证降低门票价格",
            "每年设立几个市民免费开放日",
        ],
        other="建议景区开发文创产品，讲好本地历史故事",
        reword="{p}门票太贵了，咱们本地人去一趟也得花不少。拿身份证能不能便宜点，一年再安排几天不要钱的开放日。",
    ),
    dict(
        kind="county",
        ask=1,
        contrast=("扩大", "缩小"),
        s=[
            "{p}的垃圾分类只在少数小区试点，效果不明显",
            "建议扩大垃圾分类的试点范围，每个小区配备分类督导员",
            "对分类做得好的居民给予积分奖励",
        ],
        other="建议在农村推广垃圾就地减量处理",
        reword="{p}垃圾分类就几个小区在搞，别的地方都没动静。推广到所有小区，派人在垃圾桶边上指导，分得好的给积分。",
    ),
    dict(
        kind="town",
        ask=1,
        contrast=("开通", "停运"),
        s=[
            "{p}的学生到县城上高中，每周往返只能坐私人面包车",
            "建议开通周末学生专线公交，周五下午和周日下午发车",
            "车辆要定期进行安全检查",
        ],
        other="建议在高中设立寄宿生心理辅导室",
        reword="{p}的孩子去县里念高中，每周来回只能坐黑面包车，太不安全了。周五周日下午开个学生专线公交吧。",
    ),
    dict(
        kind="hospital",
        ask=1,
        contrast=("开通", "停运"),
        s=[
            "{p}离公交站很远，看病的老人下车还要走很长一段路",
            "建议开通一条直达医院门口的公交线路",
            "或者把现有线路的站点挪到医院门口",
        ],
        other="建议医院提供轮椅借用服务",
        reword="{p}离公交站太远，老人下了车还得走老半天。开个直达医院门口的公交吧，要不就把站挪到门口。",
    ),
    dict(
        kind="street",
        ask=1,
        contrast=("提前", "推迟"),
        s=[
            "{p}的道路改造工程已经拖了一年多，沿街商户生意受到很大影响",
            "建议施工单位公布工期，争取提前完工",
            "施工期间设置临时通道方便行人",
        ],
        other="建议对道路改造后的地下管网进行统一规划",
        reword="{p}修路修了一年多还没完，两边的店都快关门了。把工期公开出来，早点干完，修的时候留条能走人的道。",
    ),
    dict(
        kind="scenic",
        ask=1,
        contrast=("开通", "停运"),
        s=[
            "从市区到{p}没有直达的公共交通，没车的游客去不了",
            "建议开通旅游直通车，节假日每天往返四班",
            "车票可以和门票捆绑优惠",
        ],
        other="建议景区与旅行社合作推出一日游线路",
        reword="没车的想去{p}太难了，市里连个直达的车都没有。放假的时候开个旅游专车，一天来回四趟，和门票一起买还能便宜。",
    ),
    dict(
        kind="county",
        ask=1,
        contrast=("放宽", "收紧"),
        s=[
            "{p}的公租房申请条件很严格，很多进城务工人员申请不上",
            "建议放宽公租房的申请条件，把稳定就业的外来务工人员纳入保障范围",
            "申请流程可以在网上办理",
        ],
        other="建议对公租房小区的物业管理进行监督",
        reword="在{p}打工的外地人想申请公租房，条件卡得太死了，根本申请不到。放宽点吧，工作稳定的就让申请，网上就能办。",
    ),
    dict(
        kind="town",
        ask=1,
        contrast=("幼儿园", "小学"),
        s=[
            "{p}的幼儿园门口每天接送孩子的车辆把路堵得水泄不通",
            "建议在幼儿园门口设置临时停车区，实行错峰接送",
            "安排交通协管员在上下学时段疏导",
        ],
        other="建议给孩子们的校车安装定位和监控",
        reword="每天早上{p}幼儿园门口都堵成一锅粥。门口划个临时停车的地方，分批接送，再派个协管员指挥一下。",
    ),
]

# A second re-wording of some bases by another writer, in the formal register of a deputy's
# or an official's motion rather than a resident's complaint ({p} is the place).
REWORD_FORMAL = {
    0: (
        "关于缓解{p}旅游高峰期停车压力的提议：一是在入口周边规划建设临时泊车场地并"
        "配备引导人员；二是开行县城至景区的旅游专线，降低自驾出行比例。"
    ),
    1: (
        "为方便在职群众办事，提请{p}政务服务中心实行工作日延时服务至十九时，并推行"
        "周六上午轮值办理制度。"
    ),
    2: (
        "针对{p}停电信息告知不到位的情况，提议供电部门改进告知方式，至少提前七十二"
        "小时以手机短信、微信群等渠道推送，并注明预计复电时间。"
    ),
    3: (
        "{p}应保留并充实人工挂号服务，为不熟悉智能手机的老年患者设置专门窗口和志愿"
        "服务岗，同时在双休日提供普通内科诊疗。"
    ),
    4: (
        "提议优化{p}与主城区之间的夜间公交衔接，按列车到达时刻开行接驳班次，并规范"
        "站前出租车候客秩序、设置集中候客点。"
    ),
    5: (
        "关于治理{p}人行道违规停车的提议：划设禁停标识，严禁机动车占用步行空间，由"
        "城管执法部门常态化巡查并依法查处。"
    ),
    6: (
        "提议提高{p}农村八十周岁以上老年人高龄津贴，实行按年龄分档发放，对九十周岁"
        "以上老人进一步提高标准，以应对物价上涨。"
    ),
    9: (
        "建议价格主管部门对{p}城区路内停车实行统一定价，合理降低热点路段收费，并要"
        "求收费人员一律开具合规票据。"
    ),
    10: (
        "为改善{p}群众进城出行条件，提议加密城乡公交发车频次，日间间隔不超过一小时"
        "，末班时间延至十九时以后。"
    ),
    14: (
        "关于完善{p}农村末端物流的提议：依托邮政体系在各行政村设立快件代收网点，实"
        "行统一配送到村，并对网点运营给予适当补助。"
    ),
    22: (
        "提议完善{p}城区公园夜间照明设施，延长步道照明时间至二十三时，并在照明盲区"
        "加装视频监控，保障市民夜间健身安全。"
    ),
    26: (
        "建议对本市户籍居民实施{p}门票减免政策，持身份证件享受优惠价格，并每年设定"
        "若干市民免费游览日。"
    ),
}

SUPPORT = [
    "这个问题周边群众反映了很多次。",
    "我身边的很多人都有同样的感受。",
    "希望有关部门尽快研究解决。",
    "这件事关系到大家的切身利益。",
    "其他城市已经有了很好的做法，可以借鉴。",
]
LETTER_OPEN = [
    "尊敬的市领导：您好！我是一名退休教师，平时很关心咱们晋城的发展。今天想提一个建议。",
    "各位领导好！我是一个普通的上班族，看到金点子征集活动，想说说自己的想法。",
    "您好！我在这里生活了二十多年，有件事一直想反映。",
]
# A longer letter: who writes and why, several sentences that ask for nothing.
LETTER_CONTEXT = [
    "我今年六十二岁，在这座城市生活了大半辈子，亲眼看着晋城一年比一年变得更好。",
    "平时我喜欢看晋城新闻，也经常和老邻居们聊起身边的变化，大家对政府的工作都很认可。",
    "不过生活中还是有一些让人着急的小事，我想借这个机会说一说。",
    "写得不好的地方请多包涵，我也是想为家乡出一份力。",
    "这件事我和家里人商量过好几次，大家的看法都差不多。",
]
LETTER_CLOSE = [
    "以上是我的一点建议，不当之处请指正。谢谢！一位普通市民",
    "希望领导能够重视，谢谢！",
    "此致敬礼！热心市民李女士",
]


# Fixed lines of two templates (before, after the idea): no ask words, no places.
TEMPLATES = [
    (
        [
            "【金点子征集】微信公众号留言模板第三版",
            "本留言由市民通过手机端填写后自动生成",
            "留言人已阅读并同意平台的隐私保护说明",
            "感谢您对我市经济社会发展的关心和支持",
            "每一条留言都会有专人阅读并登记在册",
            "以下为留言人填写的具体内容",
        ],
        [
            "本条留言将转交相关单位研究办理",
            "办理进度可在公众号的个人中心查询",
            "如需补充材料可直接回复本条消息",
        ],
    ),
    (
        [
            "金点子征集活动纸质意见表，由市征集办统一印制",
            "填写说明：请用黑色签字笔工整填写，字迹清楚",
            "每张表格只填写一条意见，可另附页",
            "个人信息仅用于联系核实，不对外公开",
            "表格可在各社区服务站和政务大厅领取",
        ],
        [
            "本表由各收集点每周汇总后录入系统",
            "录入人员已核对原件与录入内容一致",
            "原件由市征集办统一存档保管两年",
        ],
    ),
]
_ASKING = re.compile(r"建议|希望|呼吁|恳请|请求|应该|应当|能否|能不能|可否|要求")


def _templated(number, text):
    before, after = TEMPLATES[number % len(TEMPLATES)]
    return _join([*before, text.rstrip("。"), *after])


def _template_items(items, seed):
    """The template kinds (see the module docstring), appended to items."""
    rng = random.Random(seed)
    originals = [i for i, item in enumerate(items) if item["kind"] == "original"]
    statements = []
    for position in originals:
        text = items[position]["text"]
        sentences = [s for s in text.rstrip("。").split("。") if not _ASKING.search(s)]
        statements.append(_join(sentences))
    for number, position in enumerate(originals):
        group = items[position]["group"]
        wrapped = len(items)
        items.append(
            {"kind": "template", "text": _templated(number, statements[number]),
             "group": group, "base": position}
        )  # fmt: skip
        resent = _small_edit(_punctuate(items[wrapped]["text"], rng), rng)
        items.append({"kind": "template_resend", "text": resent, "group": group, "base": wrapped})
        following = (number + 1) % len(originals)
        items.append(
            {"kind": "template_other", "text": _templated(number, statements[following]),
             "group": items[originals[following]]["group"], "base": wrapped}
        )  # fmt: skip
    return items


def _join(sentences):
    return "。".join(s.rstrip("。") for s in sentences) + "。"


def _punctuate(text, rng):
    """A resend: width, spacing or punctuation changed."""
    choice = rng.randrange(3)
    if choice == 0:
        return unicodedata.normalize("NFKC", text).replace("。", ". ")
    if choice == 1:
        return text.replace("，", " , ").replace("。", "！")
    return "".join(chr(ord(c) + 0xFEE0) if "0" <= c <= "9" else c for c in text) + "  "


def _small_edit(text, rng):
    position = rng.randrange(len(text) // 2, len(text) - 2)
    return text[:position] + text[position + 1 :]


def build_hard_set(seed: int = 20260601, *, templates: bool = False):
    rng = random.Random(seed)
    items = []
    group = 0

    def add(kind, text, group_id, base):
        items.append({"kind": kind, "text": text, "group": group_id, "base": base})

    for number, base in enumerate(BASES):
        places = PLACES[base["kind"]]
        if any("城区" in sentence for sentence in base["s"]):  # "{p}城区": a county's town
            places = [place for place in places if place != "城区"]
        place, other_place = rng.sample(places, 2)
        sentences = [s.format(p=place) for s in base["s"]]
        text = _join(sentences)
        group += 1
        mine = group
        base_position = len(items)
        add("original", text, mine, base_position)
        add("resend", _punctuate(text, rng), mine, base_position)
        if len(sentences) >= 3:
            dropped = list(sentences)
            del dropped[rng.randrange(1, len(dropped))]
            add("dropped", _join(dropped), mine, base_position)
        added = list(sentences)
        added.insert(rng.randrange(1, len(added) + 1), SUPPORT[number % len(SUPPORT)])
        add("added", _join(added), mine, base_position)
        reordered = sentences[1:] + sentences[:1]
        add("reorder", _join(reordered), mine, base_position)
        letter = LETTER_OPEN[number % 3] + text + LETTER_CLOSE[number % 3]
        add("letter", letter, mine, base_position)
        context = rng.sample(LETTER_CONTEXT, 4)
        long_letter = (
            LETTER_OPEN[(number + 1) % 3] + "".join(context[:3]) + text + context[3]
            + LETTER_CLOSE[(number + 1) % 3]
        )  # fmt: skip
        add("long_letter", long_letter, mine, base_position)
        if place in SHORT:
            add("alias", _small_edit(text.replace(place, SHORT[place]), rng), mine, base_position)
        add("reworded", base["reword"].format(p=place), mine, base_position)
        if number in REWORD_FORMAL:
            add("reworded_formal", REWORD_FORMAL[number].format(p=place), mine, base_position)

        group += 1
        add("other_place", _join(s.format(p=other_place) for s in base["s"]), group, base_position)
        word, opposite = base["contrast"]
        if word in text:
            group += 1
            add("contrast", text.replace(word, opposite), group, base_position)
        group += 1
        asked = list(sentences)
        asked[base["ask"]] = base["other"]
        add("other_ask", _join(asked), group, base_position)
    return _template_items(items, seed + 1) if templates else items


POSITIVE_KINDS = (
    "resend", "dropped", "added", "reorder", "letter", "long_letter", "alias", "reworded",
    "reworded_formal", "template", "template_resend",
)  # fmt: skip
EDIT_KINDS = ("dropped", "added", "reorder", "letter", "long_letter", "alias")
NEGATIVE_KINDS = ("other_place", "contrast", "other_ask", "template_other")
TEMPLATE_KINDS = ("template", "template_resend", "template_other")  # with templates=True


if __name__ == "__main__":
    for item in build_hard_set():
        sys.stdout.write(json.dumps(item, ensure_ascii=False) + "\n")
