-- A small LibChecker rules database (schema of LibChecker-Rules cloud/rules/v3/rules.db).
-- type: 0 native lib, 1 service, 2 activity, 3 receiver, 4 provider, 5 dex package prefix.
CREATE TABLE rules_table(
   _id         INTEGER  NOT NULL PRIMARY KEY
  ,name        TEXT NOT NULL
  ,label       TEXT NOT NULL
  ,type        INTEGER  NOT NULL
  ,iconIndex   INTEGER  NOT NULL
  ,isRegexRule INTEGER  NOT NULL
  ,regexName   TEXT
);
INSERT INTO rules_table VALUES (1, 'com.umeng.message.UmengService', '友盟推送', 1, 53, 0, NULL);
INSERT INTO rules_table VALUES (2, 'com.umeng.message.XiaomiIntentService', '友盟推送', 1, 53, 0, NULL);
INSERT INTO rules_table VALUES (3, 'com.umeng.message.NotificationProxyBroadcastReceiver', '友盟推送', 3, 53, 0, NULL);
INSERT INTO rules_table VALUES (4, 'libjcore(.*)\.so', '极光推送', 0, 29, 1, 'regex_jpush');
INSERT INTO rules_table VALUES (5, 'cn.jpush.android.service.PushService', '极光推送', 1, 29, 0, NULL);
INSERT INTO rules_table VALUES (6, 'cn.jpush.android.ui.PushActivity', '极光推送', 2, 29, 0, NULL);
INSERT INTO rules_table VALUES (7, 'com.bytedance.sdk.openadsdk.(.*)', 'Pangle SDK', 2, 12, 1, 'regex_pangle');
INSERT INTO rules_table VALUES (8, 'libfile_lock_pg.so', 'Pangle SDK', 0, 12, 0, NULL);
INSERT INTO rules_table VALUES (9, 'libnms.so', 'Pangle SDK', 0, 12, 0, NULL);
INSERT INTO rules_table VALUES (10, 'com.yxcorp.gifshow.ad(.*)', 'Pangle SDK', 2, 12, 1, 'regex_pangle');
INSERT INTO rules_table VALUES (11, 'androidx.lifecycle', 'Jetpack Lifecycle', 5, 28, 0, NULL);
INSERT INTO rules_table VALUES (12, 'com.bumptech.glide', 'Glide', 5, -1, 0, NULL);
INSERT INTO rules_table VALUES (13, 'com.tencent.map', '腾讯地图 SDK', 5, 51, 0, NULL);
INSERT INTO rules_table VALUES (14, 'com.alipay.(.*)', '支付宝 SDK', 5, 4, 1, 'regex_alipay');
INSERT INTO rules_table VALUES (15, 'com.alipay.sdk.app.H5PayActivity', '支付宝 SDK', 2, 4, 0, NULL);
INSERT INTO rules_table VALUES (16, 'com.google.android.trichromelibrary', 'Trichrome', 6, 13, 0, NULL);
INSERT INTO rules_table VALUES (17, 'com.sensorsdata.analytics.android.sdk.SensorsDataContentProvider', '神策分析 SDK', 4, 44, 0, NULL);
INSERT INTO rules_table VALUES (18, 'com.bytedance.mira.stub.p[0-9]*.StubTranslucentActivity', 'Mira', 2, 12, 1, 'regex_mira');
INSERT INTO rules_table VALUES (19, 'lib.so', '', 0, 0, 0, NULL);
